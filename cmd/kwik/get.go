package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/kwik-transport/kwik"
	"github.com/kwik-transport/kwik/internal/fileserve"
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
of them at once. The file is written as FILE.part and renamed when complete;
the SHA-256 of what arrived is printed so it can be compared with the source.

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
		fs.StringVar(&o.allowSecondary, "allow-secondary", "", "the secondaries the primary may add: `LIST` of IP addresses and CIDR prefixes, or \"any\" (default: none more local than the primary)")
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
	allowSecondary       string
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
	allowPath, err := parseAllowSecondary(o.allowSecondary)
	if err != nil {
		return usagef("--allow-secondary: %v", err)
	}
	primaryTLS, secondaryTLS, err := clientTLS(addr, pin, o.insecure, o.caFile)
	if err != nil {
		return err
	}
	output := o.output
	if output == "" {
		output = path.Base(name)
		if output == "/" || output == "." || output == ".." {
			return usagef("cannot name the output after %q: give -o FILE", name)
		}
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}

	log := newLogger(e.stderr, o.verbose)
	start := time.Now()
	sess, err := kwik.Dial(ctx, addr, primaryTLS, fileserve.ClientConfig(&kwik.Config{MaxIdleTimeout: o.idle, SecondaryTLS: secondaryTLS, AllowPath: allowPath, Logger: log}))
	if err != nil {
		if strings.Contains(err.Error(), "failed to verify certificate") {
			return fmt.Errorf("cannot reach the primary at %s: %w\n(a server in development mode prints a \"pin:\" line: pass it with --pin, or use --insecure)", addr, err)
		}
		return fmt.Errorf("cannot reach the primary at %s: %w", addr, err)
	}
	defer sess.CloseWithError(0, "")
	headerTimeout := o.header
	if headerTimeout == 0 {
		headerTimeout = -1 // fileserve's "no limit"
	}
	dl, err := (&fileserve.Client{HeaderTimeout: headerTimeout}).Get(ctx, sess, fileserve.Request{Name: name})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer dl.Close()

	out, commit, abort, err := createOutput(output, e.stdout)
	if err != nil {
		return err
	}
	bar := newTotalBar(e.stderr, e.stderrTTY && !o.noProgress, name, dl.Size)
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(out, h, bar), stallGuard{dl, o.stall}, make([]byte, 256<<10))
	bar.finish(err == nil)
	if err != nil {
		abort()
		return fmt.Errorf("%s: after %s: %w", name, formatBytes(n), err)
	}
	if err := commit(); err != nil {
		return err
	}
	elapsed := time.Since(start)
	where := output
	if output == "-" {
		where = "stdout"
	}
	fmt.Fprintf(e.stderr, "%s: %s in %.2fs (%s) to %s\nsha256 %x\n", name, formatBytes(n), elapsed.Seconds(),
		formatBitrate(float64(n)*8/elapsed.Seconds()), where, h.Sum(nil))
	return nil
}

// createOutput opens where the download goes: stdout, or FILE.part that
// commit renames to FILE and abort removes.
func createOutput(name string, stdout io.Writer) (w io.Writer, commit, abort func() error, err error) {
	if name == "-" {
		nop := func() error { return nil }
		return stdout, nop, nop, nil
	}
	part := name + ".part"
	f, err := os.Create(part)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("cannot write the output: %w", err)
	}
	commit = func() error {
		if err := f.Close(); err != nil {
			os.Remove(part)
			return fmt.Errorf("writing %s: %w", part, err)
		}
		if err := os.Rename(part, name); err != nil {
			return fmt.Errorf("the download is complete in %s but cannot be renamed: %w", part, err)
		}
		return nil
	}
	abort = func() error {
		f.Close()
		return os.Remove(part)
	}
	return f, commit, abort, nil
}
