module example.com/recall

go 1.27
