module example.invalid/bouncekit/go

go 1.22
