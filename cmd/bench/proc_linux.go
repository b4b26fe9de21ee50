package main

import "syscall"

// sysProcAttr ends the server with the benchmark, even if the benchmark is
// killed before it can stop it.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }
