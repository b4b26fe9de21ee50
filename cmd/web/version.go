package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// versionText is what `steward version` and -version print: the module's
// version, the commit it was built from when Go recorded it, and the Go
// version and platform.
func versionText() string {
	var b strings.Builder
	version, commit, when, modified := "(devel)", "", "", false
	if info, ok := debug.ReadBuildInfo(); ok {
		if info.Main.Version != "" {
			version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	fmt.Fprintf(&b, "steward %s\n", version)
	if commit != "" {
		if modified {
			commit += " (with uncommitted changes)"
		}
		fmt.Fprintf(&b, "commit: %s %s\n", commit, when)
	}
	fmt.Fprintf(&b, "built with %s for %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return b.String()
}
