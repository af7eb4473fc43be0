package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kwik-transport/kwik/internal/leaktest"
)

// kwikBinary is the kwik command built once for the tests that run it.
var kwikBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kwik-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	kwikBinary = filepath.Join(dir, "kwik")
	// Without -race: the binary's speed matters for the timing of the
	// tests, and the in-process tests cover the same code under -race.
	build := exec.Command("go", "build", "-o", kwikBinary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building kwik:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := leaktest.Check(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}
