package fileserve

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// servedDir makes a root with a file, a subdirectory, links inside and
// outside it, and a secret file next to the root.
func servedDir(t *testing.T) (root, secret string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	secret = filepath.Join(base, "secret.txt")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "sub"), 0o755))
	must(os.WriteFile(secret, []byte("secret"), 0o644))
	must(os.WriteFile(filepath.Join(root, "sub", "file.txt"), []byte("hello"), 0o644))
	must(os.Symlink("sub/file.txt", filepath.Join(root, "inside-link")))
	must(os.Symlink(secret, filepath.Join(root, "absolute-link")))
	must(os.Symlink("../secret.txt", filepath.Join(root, "relative-link")))
	must(os.Symlink("../..", filepath.Join(root, "sub", "up"))) // the root's parent
	return root, secret
}

func TestDirStoreServesFilesInside(t *testing.T) {
	root, _ := servedDir(t)
	store, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, name := range []string{"sub/file.txt", "inside-link"} {
		obj, err := store.Open(name)
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		b, err := io.ReadAll(io.NewSectionReader(obj, 0, obj.Size()))
		obj.Close()
		if err != nil || string(b) != "hello" {
			t.Errorf("Open(%q) read %q, %v; want hello", name, b, err)
		}
	}
}

func TestDirStoreRefusesEscapes(t *testing.T) {
	root, secret := servedDir(t)
	store, err := OpenDir(root)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"../secret.txt", ErrForbidden},
		{"sub/../../secret.txt", ErrForbidden},
		{"sub/../sub/file.txt", ErrForbidden}, // not canonical: refused rather than interpreted
		{secret, ErrForbidden},                // absolute
		{"/sub/file.txt", ErrForbidden},
		{"absolute-link", ErrForbidden},
		{"relative-link", ErrForbidden},
		{"sub/up/secret.txt", ErrForbidden},
		{"sub", ErrForbidden}, // a directory
		{".", ErrForbidden},
		{"", ErrForbidden},
		{"missing.txt", ErrNotFound},
		{"sub/missing.txt", ErrNotFound},
	} {
		obj, err := store.Open(tc.name)
		if err == nil {
			obj.Close()
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("Open(%q) = %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestMemStore(t *testing.T) {
	store := MemStore{"a": []byte("abc")}
	obj, err := store.Open("a")
	if err != nil || obj.Size() != 3 {
		t.Fatalf("Open(a) = %v, %v", obj, err)
	}
	obj.Close()
	if _, err := store.Open("b"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open(b) = %v; want ErrNotFound", err)
	}
}
