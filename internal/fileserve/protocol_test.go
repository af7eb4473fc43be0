package fileserve

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	for _, req := range []Request{
		{Name: "a"}, {Name: "dir/file.bin"}, {Name: "with space"}, {Name: "ünïcode/ファイル"},
		{Name: strings.Repeat("x", MaxNameLen)}, {Name: "a", Start: 1}, {Name: strings.Repeat("x", MaxNameLen), Start: MaxSize},
	} {
		b, err := req.Append(nil)
		if err != nil {
			t.Fatalf("%+v.Append: %v", req, err)
		}
		got, err := ParseRequest(b)
		if err != nil || got != req {
			t.Errorf("ParseRequest(%q) = %+v, %v; want %+v", b, got, err, req)
		}
	}
	// A whole request goes to multisource.Spread's secondaries as their key.
	if key := objectKey(strings.Repeat("x", MaxNameLen), MaxSize); len(key) > 4096 {
		t.Errorf("the longest range key has %d bytes; multisource.Spread relays at most 4096", len(key))
	}
}

func TestParseRequestRejects(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		{"", "empty"},
		{"GET a", "no newline"},
		{"PUT a\n", "wrong verb"},
		{"GET \n", "empty name"},
		{"GET a\nb\n", "unknown field"},
		{"GET a\nrange 1-5\n", "unknown field"},
		{"GET a\nstart 0\n", "start zero is the default, never sent"},
		{"GET a\nstart -1\n", "negative start"},
		{"GET a\nstart 007\n", "start not canonical"},
		{"GET a\nstart 5\nstart 6\n", "start twice"},
		{"GET a\n\n", "empty field line"},
		{"GET a\x00b\n", "NUL"},
		{"GET \xff\n", "not UTF-8"},
		{"GET " + strings.Repeat("x", MaxNameLen+1) + "\n", "too long"},
		{"GET a\n" + strings.Repeat("start 1\n", maxFieldsLen), "too long"},
	} {
		_, err := ParseRequest([]byte(tc.in))
		var pe *ProtocolError
		if !errors.As(err, &pe) || !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: ParseRequest(%q) = %v; want a *ProtocolError matching ErrBadRequest", tc.why, clipped(tc.in), err)
		}
	}
	for _, req := range []Request{{Name: "a\nb"}, {Name: "a", Start: -1}} {
		if b, err := req.Append(nil); err == nil {
			t.Errorf("%+v.Append = %q; want an error", req, b)
		}
	}
}

func clipped(s string) string { return s[:min(len(s), 40)] }

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{Size: 0},
		{Size: 1 << 40},
		{Size: MaxSize},
		{Size: 10, Start: 4},
		{Size: 10, Start: 10},
		{Size: 10, Start: 4, SHA256: bytes.Repeat([]byte{0xab}, 32)},
		{Size: 0, SHA256: make([]byte, 32)},
		{Err: &RemoteError{Code: CodeNotFound, Message: `no such file: "x"`}},
		{Err: &RemoteError{Code: CodeForbidden, Message: ""}},
		{Err: &RemoteError{Code: CodeInternal, Message: "disk on fire"}},
	} {
		b := h.Append(nil)
		got, rest, err := ReadHeader(strings.NewReader(string(b) + "trailing body"))
		if err != nil {
			t.Fatalf("ReadHeader(%q): %v", b, err)
		}
		if string(rest) != "trailing body" {
			t.Errorf("ReadHeader(%q) left %q past the newline; want the body", b, rest)
		}
		if got.Size != h.Size || got.Start != h.Start || !bytes.Equal(got.SHA256, h.SHA256) || (got.Err == nil) != (h.Err == nil) || (h.Err != nil && *got.Err != *h.Err) {
			t.Errorf("header %q decoded as %+v; want %+v", b, got, h)
		}
	}
}

func TestHeaderMessageIsOneBoundedLine(t *testing.T) {
	msg := "line one\nline two\r" + strings.Repeat("é", maxMessageLen) // 2 bytes a rune: cut mid-rune
	b := Header{Err: &RemoteError{Code: CodeForbidden, Message: msg}}.Append(nil)
	if strings.Count(string(b), "\n") != 1 || len(b) > maxHeaderLen {
		t.Fatalf("header of %d bytes with %d newlines; want one line of at most %d", len(b), strings.Count(string(b), "\n"), maxHeaderLen)
	}
	h, err := ParseHeader(b[:len(b)-1])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Err.Message, "line one line two ") || strings.ContainsRune(h.Err.Message, '\uFFFD') {
		t.Errorf("message %q: want the newlines as spaces and no broken rune", h.Err.Message[:40])
	}
}

func TestParseHeaderRejects(t *testing.T) {
	for _, in := range []string{
		"", "OK", "OK ", "OK -1", "OK +5", "OK 007", "OK 1e3", "OK 4611686018427387904",
		"OK 10 start=0", "OK 10 start=11", "OK 10 start=x",
		"OK 10 sha256=", "OK 10 sha256=abc", "OK 10 sha256=" + strings.Repeat("zz", 32), "OK 10 sha256=" + strings.Repeat("ab", 33),
		"ERR", "ERR nope message", "HTTP/1.1 200 OK", strings.Repeat("E", maxHeaderLen),
	} {
		if h, err := ParseHeader([]byte(in)); err == nil {
			t.Errorf("ParseHeader(%q) = %+v; want an error", in, h)
		}
	}
	// A header that never ends is cut off after maxHeaderLen bytes.
	r := strings.NewReader(strings.Repeat("x", 10*maxHeaderLen))
	_, _, err := ReadHeader(r)
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		t.Errorf("ReadHeader of an endless line: %v; want a *ProtocolError", err)
	}
	if read := 10*maxHeaderLen - r.Len(); read > maxHeaderLen {
		t.Errorf("ReadHeader read %d bytes of an endless line; want at most %d", read, maxHeaderLen)
	}
}

func TestRemoteErrorMatchesSentinels(t *testing.T) {
	for code, want := range map[Code]error{CodeNotFound: ErrNotFound, CodeForbidden: ErrForbidden, CodeBadRequest: ErrBadRequest, CodeInternal: ErrInternal} {
		err := error(&RemoteError{Code: code})
		if !errors.Is(err, want) {
			t.Errorf("RemoteError{%s} does not match %v", code, want)
		}
		if codeOf(want) != code {
			t.Errorf("codeOf(%v) = %s; want %s", want, codeOf(want), code)
		}
	}
}
