//go:build !linux

package main

import "syscall"

// sysProcAttr has nothing to add outside Linux; the benchmark stops the
// server itself when it ends.
func sysProcAttr() *syscall.SysProcAttr { return nil }
