//go:build race

package main

// raceEnabled says the race detector is on: the fault tests then build the
// server binary with -race too, which reuses the packages the test run has
// already compiled and checks the server for data races under load.
const raceEnabled = true
