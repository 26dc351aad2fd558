module goleash.dev/demo

go 1.22
