package gemm

//go:generate go run ./internal/asmgen -out kern_amd64.s -stubs kern_amd64.go
