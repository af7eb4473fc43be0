package main

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
	"github.com/kwik-transport/kwik/internal/transport"
)

var getCommand = &command{
	name:    "get",
	summary: "download a file from a primary, through every path it adds",
	usage: `
Usage: kwik get [flags] ADDR NAME

Asks the primary at ADDR (HOST:PORT, port 4433 if omitted) for NAME, a path
relative to its --root, and writes it to the file given with -o (default: the
last element of NAME in the current directory; "-" writes to stdout). The
primary adds its secondaries to the session and the file arrives through all
of them at once. A regular FILE (or a new one) is written as FILE.part next
to it and renamed when complete; anything else (a device, a FIFO, a symbolic
link) is written directly and never replaced; -o DIR saves DIR/NAME. All of
this is checked before the first byte is asked for. An interrupted download
keeps FILE.part and prints the command that resumes it (-c asks only for
the rest). At the end a table says which server sent how much, and the
SHA-256 of the whole file is printed so it can be compared with the source.

The primary's certificate is verified with the system's roots (or --ca),
or pinned with --pin, the "pin:" line a development server prints; --insecure
skips verification.

	kwik get --pin 77ab… primary.example:4433 videos/big.iso -o big.iso
`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		o := &getOptions{}
		fs.StringVar(&o.output, "o", "", "output `FILE` (\"-\" for stdout)")
		fs.StringVar(&o.pin, "pin", "", "accept exactly the primary whose public key has this SHA-256 (`HEX`, from its \"pin:\" line)")
		fs.BoolVar(&o.insecure, "insecure", false, "do not verify the servers' certificates (development only)")
		fs.StringVar(&o.caFile, "ca", "", "PEM `FILE` of CA certificates to verify the servers with, instead of the system's")
		fs.DurationVar(&o.timeout, "timeout", 0, "give up after this long (0: never)")
		fs.DurationVar(&o.stall, "stall-timeout", 30*time.Second, "give up when no byte arrives for this long (0: never)")
		fs.DurationVar(&o.header, "header-timeout", fileserve.DefaultHeaderTimeout, "give up when the primary has not answered the request after this long (0: never)")
		fs.DurationVar(&o.idle, "idle-timeout", 5*time.Second, "how long a silent path lives before it counts as dead")
		fs.BoolVar(&o.noProgress, "no-progress", false, "do not show the progress bar (it is shown only on a terminal anyway)")
		fs.BoolVar(&o.verbose, "verbose", false, "log debug records to stderr")
		fs.BoolVar(&o.unassigned, "insecure-accept-unassigned", false, "for benchmarks only: take the secondaries' bytes without the primary's assignments\nand digests (kwik.Config.InsecureAcceptUnassignedData), unverified")
		fs.StringVar(&o.allowSecondary, "allow-secondary", "", "the secondaries the primary may add: `LIST` of IP addresses and CIDR prefixes, or \"any\" (default: none more local than the primary)")
		fs.BoolVar(&o.resume, "c", false, "continue an interrupted download: ask only for what FILE.part lacks")
		fs.BoolVar(&o.json, "json", false, "print a JSON report on stdout instead of the summary (not with -o -)")
		return o.run
	},
}

// getOptions are get's flags.
type getOptions struct {
	output, pin, caFile  string
	insecure             bool
	timeout, idle, stall time.Duration
	header               time.Duration
	noProgress, verbose  bool
	unassigned           bool
	allowSecondary       string
	resume, json         bool
}

func (o *getOptions) run(ctx context.Context, e *env, args []string) error {
	if len(args) != 2 {
		return usagef("want ADDR and NAME, as in: kwik get --pin HEX 192.0.2.1:4433 path/to/file")
	}
	addr, name := withDefaultPort(args[0]), args[1]
	var pin []byte
	if o.pin != "" {
		var err error
		if pin, err = parsePin(o.pin); err != nil {
			return usagef("--pin: %v", err)
		}
	}
	if _, err := parseAllowSecondary(o.allowSecondary); err != nil {
		return usagef("--allow-secondary: %v", err)
	}
	primaryTLS, secondaryTLS, err := clientTLS(addr, pin, o.insecure, o.caFile)
	if err != nil {
		return err
	}
	if o.json && o.output == "-" {
		return usagef("--json prints its report on stdout: give -o FILE")
	}
	// Every check of the output happens here, before anything is asked of
	// the servers.
	h := sha256.New()
	out, err := openOutput(o.output, name, o.resume, e.stdout, h)
	if err != nil {
		return err
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	rep := &getReport{Object: name, Output: out.where(), Start: out.start}
	err = o.download(ctx, e, addr, primaryTLS, secondaryTLS, out, h, rep)
	var bad *fileserve.DigestError
	if errors.As(err, &bad) {
		// Resuming would not help: the bytes are wrong. Keep them for a
		// look, under the name that says they are not the file.
		rep.fail(err)
		if out.abort() > 0 {
			err = fmt.Errorf("%w\nthe bytes received are kept in %s, not renamed to %s", err, out.part, out.target)
		}
	} else if err != nil {
		rep.fail(err)
		if kept := out.abort(); kept > 0 && errors.Is(err, fileserve.ErrBadRequest) && o.resume {
			err = fmt.Errorf("%w\n%s holds %s, more than the primary offers: it is not part of this file; remove it and run without -c", err, out.part, formatBytes(kept))
		} else if kept > 0 {
			rep.Resume = o.resumeCommand(args, out)
			err = fmt.Errorf("%w\n%s of %s are kept in %s; resume with:\n\t%s", err, formatBytes(kept), rep.Object, out.part, rep.Resume)
		}
	} else if err = out.commit(); err != nil {
		rep.fail(err)
	}
	if o.json {
		if jerr := writeJSONValue(e.stdout, rep); jerr != nil && err == nil {
			err = jerr
		}
		return err
	}
	if len(rep.Paths) > 0 {
		rep.writeText(e.stderr)
	}
	return err
}

// download dials the primary, asks for the object from out.start on and
// copies it into out, filling rep.
func (o *getOptions) download(ctx context.Context, e *env, addr string, primaryTLS, secondaryTLS *tls.Config, out *output, h hash.Hash, rep *getReport) error {
	log := slog.New(newPathWarner(e.stderr, newLogger(e.stderr, o.verbose).Handler()))
	allowPath, _ := parseAllowSecondary(o.allowSecondary) // checked by run
	start := time.Now()
	sess, err := kwik.Dial(ctx, addr, primaryTLS, fileserve.ClientConfig(&kwik.Config{MaxIdleTimeout: o.idle, SecondaryTLS: secondaryTLS, AllowPath: allowPath, InsecureAcceptUnassignedData: o.unassigned, Logger: log}))
	if err != nil {
		return dialError(addr, err)
	}
	defer sess.CloseWithError(0, "")
	headerTimeout := o.header
	if headerTimeout == 0 {
		headerTimeout = -1 // fileserve's "no limit"
	}
	dl, err := (&fileserve.Client{HeaderTimeout: headerTimeout}).Get(ctx, sess, fileserve.Request{Name: rep.Object, Start: out.start})
	if err != nil {
		return fmt.Errorf("%s: %w", rep.Object, err)
	}
	defer dl.Close()
	if err := out.begin(); err != nil {
		return err
	}
	rep.Size = dl.Size
	bar := newTotalBar(e.stderr, e.stderrTTY && !o.noProgress && !o.json, rep.Object, dl.Size-dl.Start)
	n, err := io.CopyBuffer(io.MultiWriter(out.w, h, bar), stallGuard{dl, o.stall}, make([]byte, 256<<10))
	bar.finish(err == nil)
	rep.Received = n
	rep.Seconds = time.Since(start).Seconds()
	rep.addPaths(sess.AllPaths())
	if err != nil {
		return fmt.Errorf("%s: after %s: %w", rep.Object, formatBytes(n), err)
	}
	sum := h.Sum(nil)
	rep.SHA256 = fmt.Sprintf("%x", sum)
	// The primary vouches for the whole object: a wrong byte from any
	// server, or a .part that is not a prefix of this object, shows here.
	if rep.Verified, err = dl.Verify(sum); err != nil {
		return fmt.Errorf("%s: %w", rep.Object, err)
	}
	rep.OK = true
	return nil
}

// resumeCommand is the command line that continues an interrupted download.
func (o *getOptions) resumeCommand(args []string, out *output) string {
	parts := []string{"kwik", "get", "-c"}
	if o.pin != "" {
		parts = append(parts, "--pin", o.pin)
	}
	if o.insecure {
		parts = append(parts, "--insecure")
	}
	if o.caFile != "" {
		parts = append(parts, "--ca", shellQuote(o.caFile))
	}
	parts = append(parts, shellQuote(args[0]), shellQuote(args[1]), "-o", shellQuote(out.target))
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '[' || r == ']' ||
			r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dialError explains a failed dial of the primary.
func dialError(addr string, err error) error {
	if _, ok := errors.AsType[*transport.PinError](err); ok || strings.Contains(err.Error(), "pin") && strings.Contains(err.Error(), "does not match the expected") {
		return &pinMismatchError{addr: addr, err: err}
	}
	if strings.Contains(err.Error(), "failed to verify certificate") {
		return fmt.Errorf("cannot reach the primary at %s: %w\n(a server in development mode prints a \"pin:\" line: pass it with --pin, or use --insecure)", addr, err)
	}
	return fmt.Errorf("cannot reach the primary at %s: %w", addr, err)
}

// pinMismatchError says that the primary is not the server --pin names. It
// does not repeat the key the server showed: copying that blindly would
// defeat the pin.
type pinMismatchError struct {
	addr string
	err  error
}

func (e *pinMismatchError) Error() string {
	return fmt.Sprintf("the server at %s has a public key that does not match --pin: check the pin against the primary's \"pin:\" line (a development-mode server makes a new key each time it starts)", e.addr)
}

func (e *pinMismatchError) Unwrap() error { return e.err }
