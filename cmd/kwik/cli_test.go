package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runInProcess runs the command line in this process, as main would.
func runInProcess(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &env{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		wantStdout string // substring
		wantStderr string // substring
	}{
		{nil, exitUsage, "", "Commands:"},
		{[]string{"--help"}, exitOK, "kwik demo", ""},
		{[]string{"help", "get"}, exitOK, "--pin HEX", ""},
		{[]string{"fetch"}, exitUsage, "", `unknown command "fetch"`},
		{[]string{"demo", "--help"}, exitOK, "--kill-secondary-after", ""},
		{[]string{"serve", "-h"}, exitOK, "--group-key-file FILE", ""},
		{[]string{"get", "--help"}, exitOK, "--insecure", ""},
		{[]string{"version", "--help"}, exitOK, "Usage: kwik version", ""},
		{[]string{"demo", "--paths", "0"}, exitUsage, "", "--paths must be between 1"},
		{[]string{"demo", "--rate", "fast"}, exitUsage, "", "rate"},
		{[]string{"demo", "--rate", "10mbps"}, exitUsage, "", "ambiguous"},
		{[]string{"demo", "--path-rate", "3=10mbit"}, exitUsage, "", "there are only 3 paths"},
		{[]string{"demo", "--paths", "1", "--kill-secondary-after", "1s"}, exitUsage, "", "needs a secondary"},
		{[]string{"demo", "--size", "0"}, exitUsage, "", "--size must be at least"},
		{[]string{"demo", "extra"}, exitUsage, "", "unexpected arguments"},
		{[]string{"demo", "--no-such-flag"}, exitUsage, "", `Run "kwik demo --help"`},
		{[]string{"serve"}, exitUsage, "", "--role must be primary or secondary"},
		{[]string{"serve", "--role", "primary"}, exitUsage, "", "--root DIR is required"},
		{[]string{"serve", "--role", "secondary", "--root", ".", "--secondary", "h:1"}, exitUsage, "", "--secondary is for a primary"},
		{[]string{"serve", "--role", "primary", "--root", ".", "--secondary", "h:1=abc"}, exitUsage, "", "64 hex digits"},
		{[]string{"serve", "--role", "primary", "--root", ".", "--cert", "c.pem"}, exitUsage, "", "--cert and --key go together"},
		{[]string{"serve", "--role", "primary", "--root", "/does/not/exist"}, exitFailure, "", "cannot serve"},
		{[]string{"get", "127.0.0.1:1"}, exitUsage, "", "want ADDR and NAME"},
		{[]string{"get", "--pin", "zz", "127.0.0.1:1", "f"}, exitUsage, "", "--pin"},
		{[]string{"get", "--pin", strings.Repeat("ab", 32), "--insecure", "127.0.0.1:1", "f"}, exitUsage, "", "exclude each other"},
		{[]string{"version"}, exitOK, "wire protocol 1 (ALPN kwik/1)", ""},
	} {
		code, stdout, stderr := runInProcess(t, tc.args...)
		if code != tc.code || !strings.Contains(stdout, tc.wantStdout) || !strings.Contains(stderr, tc.wantStderr) {
			t.Errorf("kwik %q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				tc.args, code, clip(stdout), clip(stderr), tc.code, tc.wantStdout, tc.wantStderr)
		}
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}
