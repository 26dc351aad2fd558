module example.com/oldversions

go 1.19
