module example.com/loadsvc

go 1.27
