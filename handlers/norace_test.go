//go:build !race

package handlers_test

// raceEnabled says the race detector is on, which slows database-heavy
// tests several times over.
const raceEnabled = false
