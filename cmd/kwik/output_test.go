package main

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

// TestOutputTruncatesOnlyAPartWithBytes: a download from zero empties a
// .part left by an earlier run, and leaves a new (empty) one alone, because
// on ext4 a file truncated to zero writes all its data back as it is
// closed, which held get's exit up to 1.6 s after the last byte.
func TestOutputTruncatesOnlyAPartWithBytes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		old   []byte // the .part before the run; nil: none
		empty bool   // begin must empty it
	}{
		{"new", nil, false},
		{"empty", []byte{}, false},
		{"stale", []byte("bytes of an earlier run"), true},
	} {
		target := filepath.Join(dir, tc.name)
		if tc.old != nil {
			if err := os.WriteFile(target+".part", tc.old, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		o, err := openOutput(target, "obj", false, nil, sha256.New())
		if err != nil {
			t.Fatalf("%s: openOutput: %v", tc.name, err)
		}
		if o.truncate != tc.empty {
			t.Errorf("%s: truncate = %v, want %v", tc.name, o.truncate, tc.empty)
		}
		if err := o.begin(); err != nil {
			t.Fatalf("%s: begin: %v", tc.name, err)
		}
		if _, err := o.w.Write([]byte("object")); err != nil {
			t.Fatalf("%s: write: %v", tc.name, err)
		}
		if err := o.commit(); err != nil {
			t.Fatalf("%s: commit: %v", tc.name, err)
		}
		got, err := os.ReadFile(target)
		if err != nil || string(got) != "object" {
			t.Errorf("%s: the file holds %q (%v), want %q", tc.name, got, err, "object")
		}
	}
}
