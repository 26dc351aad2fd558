module example.com/fixtures122

go 1.22
