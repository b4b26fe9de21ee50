package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An icon's shapes come out compact, escaped, without Tabler's invisible
// bounding path; anything but flat shapes in an <svg> is refused.
func TestReadShapes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, svg string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(svg), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	got, err := readShapes(write("ok.svg", `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <path stroke="none" d="M0 0h24v24H0z" fill="none" />
  <path d="M12 9v4" />
  <circle cx="12" cy="12" r="1" data-x="a&quot;b" />
</svg>`))
	if err != nil {
		t.Fatal(err)
	}
	if want := `<path d="M12 9v4"/><circle cx="12" cy="12" r="1" data-x="a&#34;b"/>`; got != want {
		t.Errorf("shapes\n%s\nwant\n%s", got, want)
	}
	for name, svg := range map[string]string{
		"nested.svg": `<svg><g><path d="M1 1"/></g></svg>`,
		"root.svg":   `<g><path d="M1 1"/></g>`,
		"empty.svg":  `<svg><path stroke="none" d="M0 0h24v24H0z"/></svg>`,
	} {
		if _, err := readShapes(write(name, svg)); err == nil {
			t.Errorf("%s: no error for %s", name, svg)
		}
	}
	if _, err := readShapes(filepath.Join(dir, "missing.svg")); err == nil || !strings.Contains(err.Error(), "missing.svg") {
		t.Errorf("a missing icon: %v", err)
	}
}
