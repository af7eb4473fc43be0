package fileserve

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzParseRequest checks that ParseRequest never panics, and that what it
// accepts encodes back to the same bytes.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{"GET a\n", "GET dir/file.bin\n", "GET ../etc/passwd\n", "GET /abs\n", "GET \n", "GET a", "PUT a\n", "GET a\x00\n", "GET \xff\n",
		"GET a\nstart 10\n", "GET a\nstart 0\n", "GET a\nstart 01\n", "GET a\nstart 1\nstart 2\n", "GET a\nrange 1-2\n", "GET a\n\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		req, err := ParseRequest(b)
		if err != nil {
			return
		}
		again, err := req.Append(nil)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("ParseRequest(%q) = %+v, which encodes as %q, %v", b, req, again, err)
		}
	})
}

// FuzzReadHeader checks that ReadHeader never panics nor reads past the
// header's newline, and that what it accepts encodes back canonically.
func FuzzReadHeader(f *testing.F) {
	for _, seed := range []string{"OK 0\n", "OK 268435456\nbody", "ERR not-found no such file\n", "ERR forbidden\n", "ERR internal a b c\n", "OK -1\n", "OK 01\n", "ERR what?\n", "OK 12", "\n", "OK 10 start=4\n", "OK 10 start=11\n", "OK 10 sha256=ab start=10\n", "OK 10 start=0\n"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		h, err := ReadHeader(r)
		if err != nil {
			return
		}
		line := b[:bytes.IndexByte(b, '\n')+1]
		if rest := b[len(line):]; r.Buffered() != len(rest) {
			t.Fatalf("ReadHeader consumed %d bytes past the newline", len(rest)-r.Buffered())
		}
		again := h.Append(nil)
		h2, err := ParseHeader(again[:len(again)-1])
		if err != nil || h2.Size != h.Size || h2.Start != h.Start || (h2.Err == nil) != (h.Err == nil) || (h.Err != nil && *h2.Err != *h.Err) {
			t.Fatalf("header %q decoded as %+v, re-encoded as %q, decoded again as %+v, %v", line, h, again, h2, err)
		}
	})
}
