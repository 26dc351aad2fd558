module example.com/channelrules

go 1.27
