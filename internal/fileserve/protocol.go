package fileserve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the protocol. Readers check them before buffering more.
const (
	// MaxNameLen is the longest object name a request may carry. It leaves
	// room, within the 4096 bytes multisource.Spread relays, for the start offset
	// the secondaries are told (see objectKey).
	MaxNameLen = 4064
	// maxMessageLen bounds the message of an ERR header.
	maxMessageLen = 1024
	// maxFieldsLen bounds the field lines after a request's first line.
	maxFieldsLen = 256
	// maxRequestLen is the longest request: "GET " name "\n" and fields.
	maxRequestLen = len(requestPrefix) + MaxNameLen + 1 + maxFieldsLen
	// maxHeaderLen is the longest header line, newline included.
	maxHeaderLen = len("ERR ") + len(CodeBadRequest) + 1 + maxMessageLen + 1
	// MaxSize is the largest object: stream offsets are 62-bit and the
	// header comes first.
	MaxSize = int64(1<<62 - 1 - maxHeaderLen)
)

const (
	requestPrefix = "GET "
	okPrefix      = "OK "
	errPrefix     = "ERR "
	fieldStart    = "start"
	fieldSHA256   = "sha256" // OK field: the whole object's SHA-256, in hex
)

// Request is what a client asks a primary for: one line naming the object,
// then one line per field that differs from its default, "key value\n".
// A server refuses a field it does not know, so that a client never gets
// something other than what it asked for.
//
//	GET <name>\n
//	start <offset>\n
type Request struct {
	// Name is a slash-separated path relative to the server's root.
	Name string
	// Start is the first byte of the object wanted: a client resuming a
	// download asks for the rest. Zero asks for the whole object.
	Start int64
}

// Append appends the request to b.
func (r Request) Append(b []byte) ([]byte, error) {
	if err := checkName(r.Name); err != nil {
		return b, err
	}
	if r.Start < 0 || r.Start > MaxSize {
		return b, &ProtocolError{What: "request", Reason: fmt.Sprintf("start %d is not between 0 and 2^62", r.Start)}
	}
	b = append(b, requestPrefix...)
	b = append(b, r.Name...)
	b = append(b, '\n')
	if r.Start > 0 {
		b = append(b, fieldStart+" "...)
		b = strconv.AppendInt(b, r.Start, 10)
		b = append(b, '\n')
	}
	return b, nil
}

// ParseRequest decodes a whole request. It checks the syntax only; whether
// the name is inside the root is the Store's business.
func ParseRequest(b []byte) (Request, error) {
	if len(b) > maxRequestLen {
		return Request{}, &ProtocolError{What: "request", Reason: fmt.Sprintf("longer than %d bytes", maxRequestLen)}
	}
	rest, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return Request{}, &ProtocolError{What: "request", Reason: `does not end with "\n" (send "GET <name>\n", then close the stream)`}
	}
	first, fields, hasFields := bytes.Cut(rest, []byte("\n"))
	name, ok := bytes.CutPrefix(first, []byte(requestPrefix))
	if !ok {
		return Request{}, &ProtocolError{What: "request", Reason: `does not start with "GET "`}
	}
	if err := checkName(string(name)); err != nil {
		return Request{}, err
	}
	r := Request{Name: string(name)}
	seen := map[string]bool{}
	for line := range bytes.SplitSeq(fields, []byte("\n")) {
		if !hasFields {
			break
		}
		key, value, _ := bytes.Cut(line, []byte(" "))
		if seen[string(key)] {
			return Request{}, &ProtocolError{What: "request", Reason: fmt.Sprintf("field %q given twice", key)}
		}
		seen[string(key)] = true
		switch string(key) {
		case fieldStart:
			n, err := parseOffset(value)
			if err != nil || n == 0 {
				return Request{}, &ProtocolError{What: "request", Reason: fmt.Sprintf("start %q is not a decimal offset from 1 to 2^62", value)}
			}
			r.Start = n
		default:
			return Request{}, &ProtocolError{What: "request", Reason: fmt.Sprintf("unknown field %q (this server understands only %q)", oneLine(string(key), 64), fieldStart)}
		}
	}
	return r, nil
}

// parseOffset reads a canonical decimal number from 0 to MaxSize.
func parseOffset(b []byte) (int64, error) {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 || n > MaxSize || strconv.FormatInt(n, 10) != string(b) {
		return 0, fmt.Errorf("%q is not a decimal number of bytes up to 2^62", b)
	}
	return n, nil
}

// checkName enforces what the request line itself needs of a name.
func checkName(name string) error {
	switch {
	case name == "":
		return &ProtocolError{What: "request", Reason: "empty name"}
	case len(name) > MaxNameLen:
		return &ProtocolError{What: "request", Reason: fmt.Sprintf("name longer than %d bytes", MaxNameLen)}
	case strings.ContainsAny(name, "\n\x00"):
		return &ProtocolError{What: "request", Reason: "name contains a newline or NUL byte"}
	case !utf8.ValidString(name):
		return &ProtocolError{What: "request", Reason: "name is not UTF-8"}
	}
	return nil
}

// Header is the primary's answer, before the object's bytes: an OK line,
// the object's size and then optional "key=value" fields, or a refusal.
//
//	OK <size>[ start=<offset>][ sha256=<64 hex digits>]\n
//	ERR <code> <message>\n
//
// A client ignores OK fields it does not know, so servers can add some.
type Header struct {
	Size  int64 // the object's length, when Err is nil
	Start int64 // the offset in the object of the first byte that follows
	// SHA256 is the digest of the whole object (from offset 0), when the
	// server knows it; nil otherwise.
	SHA256 []byte
	Err    *RemoteError // the refusal, if the request was refused
}

// Append appends the header line to b. A refusal's message is cut to one
// line of at most 1024 bytes.
func (h Header) Append(b []byte) []byte {
	if h.Err == nil {
		b = append(b, okPrefix...)
		b = strconv.AppendInt(b, h.Size, 10)
		if h.Start > 0 {
			b = append(b, " "+fieldStart+"="...)
			b = strconv.AppendInt(b, h.Start, 10)
		}
		if len(h.SHA256) == sha256.Size {
			b = append(b, " "+fieldSHA256+"="...)
			b = hex.AppendEncode(b, h.SHA256)
		}
		return append(b, '\n')
	}
	code := h.Err.Code
	if !validCode(code) {
		code = CodeInternal
	}
	b = append(b, errPrefix...)
	b = append(b, code...)
	b = append(b, ' ')
	b = append(b, oneLine(h.Err.Message, maxMessageLen)...)
	return append(b, '\n')
}

// headerReadSize is ReadHeader's first Read: room for any OK header (at
// most ~130 bytes) and the object's first bytes. Only an ERR header, up to
// maxHeaderLen, takes further Reads.
const headerReadSize = 192

// ReadHeader reads one header line from r and returns it parsed, with the
// bytes its Reads brought past the newline (the object's first, for the
// caller to use before reading r again). It reads at most maxHeaderLen
// bytes, and holds no buffer once it returns but the one the second result
// points into.
func ReadHeader(r io.Reader) (Header, []byte, error) {
	buf := make([]byte, 0, headerReadSize)
	for {
		if len(buf) == cap(buf) {
			if len(buf) >= maxHeaderLen {
				return Header{}, nil, &ProtocolError{What: "header", Reason: fmt.Sprintf("longer than %d bytes", maxHeaderLen)}
			}
			grown := make([]byte, len(buf), min(2*cap(buf), maxHeaderLen))
			buf = grown[:copy(grown, buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		searched := len(buf)
		buf = buf[:len(buf)+n]
		if i := bytes.IndexByte(buf[searched:], '\n'); i >= 0 {
			end := searched + i
			h, err := ParseHeader(buf[:end])
			return h, buf[end+1:], err
		}
		if err == io.EOF {
			return Header{}, nil, &ProtocolError{What: "header", Reason: "the stream ended before the header's newline"}
		}
		if err != nil {
			return Header{}, nil, err
		}
	}
}

// ParseHeader parses a header line without its newline.
func ParseHeader(line []byte) (Header, error) {
	if len(line) >= maxHeaderLen {
		return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("longer than %d bytes", maxHeaderLen)}
	}
	if rest, ok := bytes.CutPrefix(line, []byte(okPrefix)); ok {
		return parseOK(rest)
	}
	if rest, ok := bytes.CutPrefix(line, []byte(errPrefix)); ok {
		code, msg, _ := bytes.Cut(rest, []byte(" "))
		if !validCode(Code(code)) {
			return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("unknown refusal code %q", code)}
		}
		return Header{Err: &RemoteError{Code: Code(code), Message: oneLine(string(msg), maxMessageLen)}}, nil
	}
	return Header{}, &ProtocolError{What: "header", Reason: `starts with neither "OK " nor "ERR " (is this a kwik serve primary?)`}
}

// parseOK parses what follows "OK ": the size, then the fields.
func parseOK(rest []byte) (Header, error) {
	fields := bytes.Split(rest, []byte(" "))
	size, err := parseOffset(fields[0])
	if err != nil {
		return Header{}, &ProtocolError{What: "header", Reason: "size " + err.Error()}
	}
	h := Header{Size: size}
	for _, f := range fields[1:] {
		key, value, _ := bytes.Cut(f, []byte("="))
		switch string(key) {
		case fieldStart:
			n, err := parseOffset(value)
			if err != nil || n == 0 || n > size {
				return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("start %q is not an offset from 1 to the size %d", value, size)}
			}
			h.Start = n
		case fieldSHA256:
			sum, err := hex.DecodeString(string(value))
			if err != nil || len(sum) != sha256.Size {
				return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("sha256 %q is not 64 hexadecimal digits", oneLine(string(value), 80))}
			}
			h.SHA256 = sum
		}
	}
	return h, nil
}

func validCode(c Code) bool {
	switch c {
	case CodeNotFound, CodeForbidden, CodeBadRequest, CodeInternal:
		return true
	}
	return false
}

// oneLine turns s into valid UTF-8 on one line of at most n bytes.
func oneLine(s string, n int) string {
	s = strings.ToValidUTF8(s, "?")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) { // a rune cut in half: drop its bytes
		s = s[:len(s)-1]
	}
	return s
}
