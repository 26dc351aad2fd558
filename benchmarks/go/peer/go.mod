module example.com/peer

go 1.27
