module example.com/fixtures127

go 1.27
