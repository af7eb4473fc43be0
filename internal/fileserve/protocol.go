package fileserve

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of the protocol. Readers check them before buffering more.
const (
	// MaxNameLen is the longest object name a request may carry.
	MaxNameLen = 4096
	// maxMessageLen bounds the message of an ERR header.
	maxMessageLen = 1024
	// maxRequestLen is the longest request: "GET " name "\n".
	maxRequestLen = len(requestPrefix) + MaxNameLen + 1
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
)

// AppendRequest appends the request for name to b.
func AppendRequest(b []byte, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return b, err
	}
	b = append(b, requestPrefix...)
	b = append(b, name...)
	return append(b, '\n'), nil
}

// ParseRequest returns the name a whole request asks for. It checks the
// syntax only; whether the name is inside the root is the Store's business.
func ParseRequest(b []byte) (string, error) {
	if len(b) > maxRequestLen {
		return "", &ProtocolError{What: "request", Reason: fmt.Sprintf("longer than %d bytes", maxRequestLen)}
	}
	line, ok := bytes.CutSuffix(b, []byte("\n"))
	if !ok {
		return "", &ProtocolError{What: "request", Reason: `does not end with "\n" (send "GET <name>\n", then close the stream)`}
	}
	name, ok := bytes.CutPrefix(line, []byte(requestPrefix))
	if !ok {
		return "", &ProtocolError{What: "request", Reason: `does not start with "GET "`}
	}
	if err := checkName(string(name)); err != nil {
		return "", err
	}
	return string(name), nil
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

// Header is the primary's answer, before the object's bytes.
type Header struct {
	Size int64        // the object's length, when Err is nil
	Err  *RemoteError // the refusal, if the request was refused
}

// Append appends the header line to b. A refusal's message is cut to one
// line of at most 1024 bytes.
func (h Header) Append(b []byte) []byte {
	if h.Err == nil {
		b = append(b, okPrefix...)
		b = strconv.AppendInt(b, h.Size, 10)
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

// ReadHeader reads one header line from r.
func ReadHeader(r io.ByteReader) (Header, error) {
	line := make([]byte, 0, 64)
	for {
		c, err := r.ReadByte()
		if err == io.EOF {
			return Header{}, &ProtocolError{What: "header", Reason: "the stream ended before the header's newline"}
		}
		if err != nil {
			return Header{}, err
		}
		if c == '\n' {
			return ParseHeader(line)
		}
		if len(line) == maxHeaderLen-1 {
			return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("longer than %d bytes", maxHeaderLen)}
		}
		line = append(line, c)
	}
}

// ParseHeader parses a header line without its newline.
func ParseHeader(line []byte) (Header, error) {
	if len(line) >= maxHeaderLen {
		return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("longer than %d bytes", maxHeaderLen)}
	}
	if size, ok := bytes.CutPrefix(line, []byte(okPrefix)); ok {
		n, err := strconv.ParseInt(string(size), 10, 64)
		if err != nil || n < 0 || n > MaxSize || strconv.FormatInt(n, 10) != string(size) {
			return Header{}, &ProtocolError{What: "header", Reason: fmt.Sprintf("size %q is not a decimal number of bytes up to 2^62", size)}
		}
		return Header{Size: n}, nil
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
