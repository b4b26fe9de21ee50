// Package seed fills a Steward database with made-up data: Demo with a small
// sample company through the store's ordinary create methods, Scale with a
// large generated inventory for benchmarks through its bulk loader.
package seed
