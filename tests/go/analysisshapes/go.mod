module example.com/analysisshapes

go 1.27
