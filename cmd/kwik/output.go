package main

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// output is where get writes a download. Everything about it is decided and
// opened before the first byte is requested, so that a wrong -o costs
// nothing but an error message.
//
// A regular file (or a new name) is written as NAME.part next to it and
// renamed onto it once complete: a reader never sees half a file. Anything
// else that exists — a device, a FIFO, a symbolic link — is written directly
// and never renamed onto: renaming would replace the device node itself.
type output struct {
	w      io.Writer
	target string // the final name; "" for stdout
	part   string // NAME.part, or "" when writing directly
	f      *os.File
	start  int64 // bytes already in the .part (resume)
	// truncate says that begin empties the .part: a download from zero
	// over the bytes of an earlier one.
	truncate bool
}

// outputError says the output cannot be used; nothing was downloaded.
type outputError struct{ err error }

func (e *outputError) Error() string { return "cannot write the output: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// openOutput opens where the object name goes: stdout for "-", DIR/BASE for
// a directory, and otherwise the file given (by default the last element of
// name in the current directory). With resume, an existing NAME.part is
// continued; its bytes are fed to h first so that h covers the whole file.
func openOutput(given, name string, resume bool, stdout io.Writer, h hash.Hash) (*output, error) {
	if given == "-" {
		if resume {
			return nil, usagef("-c resumes a file: it cannot be used with -o -")
		}
		return &output{w: stdout}, nil
	}
	base := path.Base(name)
	if base == "/" || base == "." || base == ".." {
		base = ""
	}
	target := given
	if target == "" || strings.HasSuffix(target, string(filepath.Separator)) {
		if base == "" {
			return nil, usagef("cannot name the output after %q: give -o FILE", name)
		}
		target = filepath.Join(target, base)
	}
	st, err := os.Lstat(target)
	if err == nil && st.IsDir() {
		if base == "" {
			return nil, usagef("cannot name the output in %s after %q: give -o DIR/FILE", target, name)
		}
		target = filepath.Join(target, base)
		st, err = os.Lstat(target)
	}
	if err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// A link to a regular file is treated as that file: its .part goes
		// next to it and is renamed onto it, never onto the link.
		if real, rerr := filepath.EvalSymlinks(target); rerr == nil {
			if rst, rerr := os.Lstat(real); rerr == nil {
				target, st = real, rst
			}
		}
	}
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, &outputError{err}
	case err == nil && st.IsDir():
		return nil, &outputError{fmt.Errorf("%s is a directory", target)}
	case err == nil && !st.Mode().IsRegular():
		if resume {
			return nil, usagef("-c resumes a regular file; %s is a %s", target, kindOf(st.Mode()))
		}
		return openDirect(target, st.Mode())
	}
	return openPart(target, resume, h)
}

// openDirect opens an existing non-regular file for writing, without
// creating, truncating or waiting: a FIFO nobody reads is an error now, not
// a download that hangs.
func openDirect(target string, mode fs.FileMode) (*output, error) {
	flags := os.O_WRONLY
	if mode&fs.ModeNamedPipe != 0 {
		flags |= fifoOpenFlags
	}
	f, err := os.OpenFile(target, flags, 0)
	if noReader(err) && mode&fs.ModeNamedPipe != 0 {
		return nil, &outputError{fmt.Errorf("no process is reading the FIFO %s: start its reader first", target)}
	}
	if err != nil {
		return nil, &outputError{err}
	}
	return &output{w: f, target: target, f: f}, nil
}

// openPart creates NAME.part, or continues it with resume.
func openPart(target string, resume bool, h hash.Hash) (*output, error) {
	part := target + ".part"
	if st, err := os.Lstat(part); err == nil && !st.Mode().IsRegular() {
		return nil, &outputError{fmt.Errorf("%s exists and is a %s, not a partial download: move it away", part, kindOf(st.Mode()))}
	}
	// Not truncated yet: a .part left by an interrupted download survives
	// a run without -c that fails before the primary answers.
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, &outputError{err}
	}
	// Only a .part that holds bytes is emptied: on ext4 (auto_da_alloc) a
	// file truncated to zero writes all its data back when it is closed,
	// which held get's exit 0.05-1.6 s after the last byte of 100 MB.
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &outputError{err}
	}
	o := &output{w: f, target: target, part: part, f: f, truncate: !resume && st.Size() > 0}
	if resume {
		// Hash what is there, which also leaves the offset at its end.
		r, err := os.Open(part)
		if err == nil {
			o.start, err = io.Copy(h, r)
			r.Close()
		}
		if err == nil {
			_, err = f.Seek(o.start, io.SeekStart)
		}
		if err != nil {
			f.Close()
			return nil, &outputError{fmt.Errorf("reading %s to resume: %w", part, err)}
		}
	}
	return o, nil
}

// begin readies the output for the first byte, once the primary answered.
func (o *output) begin() error {
	if !o.truncate {
		return nil
	}
	if err := o.f.Truncate(0); err != nil {
		return &outputError{err}
	}
	return nil
}

// where names the output for messages.
func (o *output) where() string {
	if o.target == "" {
		return "stdout"
	}
	return o.target
}

// commit finishes a complete download: the .part is renamed onto its
// target, which must still be a regular file or absent.
func (o *output) commit() error {
	if o.f == nil {
		return nil
	}
	if err := o.f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", o.where(), err)
	}
	if o.part == "" {
		return nil
	}
	if st, err := os.Lstat(o.target); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("the download is complete in %s, but %s is now a %s: not replacing it", o.part, o.target, kindOf(st.Mode()))
	}
	if err := os.Rename(o.part, o.target); err != nil {
		return fmt.Errorf("the download is complete in %s but cannot be renamed: %w", o.part, err)
	}
	return nil
}

// abort ends an interrupted download. It keeps a .part that holds bytes, so
// that -c can continue it, and returns how many it holds (0: removed).
func (o *output) abort() (kept int64) {
	if o.f == nil {
		return 0
	}
	o.f.Close()
	if o.part == "" {
		return 0
	}
	if st, err := os.Stat(o.part); err == nil && st.Size() > 0 {
		return st.Size()
	}
	os.Remove(o.part)
	return 0
}

// kindOf names a file's type for messages.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "FIFO"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m.IsDir():
		return "directory"
	}
	return "file"
}
