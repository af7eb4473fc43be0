package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // the command line is wrong
)

// env is what a command may touch of the process: its output streams and
// environment. Tests never need it; main fills it from os.
type env struct {
	stdout, stderr       io.Writer
	stdoutTTY, stderrTTY bool // progress bars only go to a terminal
	getenv               func(string) string
}

// command is one subcommand of kwik.
type command struct {
	name    string
	summary string
	// usage is the synopsis and description printed by --help, above the flags.
	usage string
	// flags registers the command's flags on fs and returns the function
	// that runs it with the positional arguments.
	flags func(fs *flag.FlagSet) func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands in the order --help shows them.
var commands = []*command{demoCommand, serveCommand, getCommand, versionCommand}

// usageError is a wrong command line; it exits with code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

const mainUsage = `kwik is the command-line tool of KWIK, a QUIC-like transport in which one
client receives one byte stream from several servers at once.

Usage:

	kwik <command> [flags] [arguments]

Commands:
%s
Run "kwik <command> --help" for a command's flags.
Start with "kwik demo": it runs a primary and two secondaries on this machine
and sends a file through all three into one stream.
`

func printMainUsage(w io.Writer) {
	var list strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&list, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, mainUsage, list.String())
}

// run runs the kwik command line args and returns the exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		printMainUsage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "--help"}, e)
		}
		printMainUsage(e.stdout)
		return exitOK
	}
	var cmd *command
	for _, c := range commands {
		if c.name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(e.stderr, "kwik: unknown command %q; the commands are demo, serve, get and version (kwik --help)\n", args[0])
		return exitUsage
	}
	fs := flag.NewFlagSet("kwik "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed below
	runCmd := cmd.flags(fs)
	positional, err := parseArgs(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, cmd, fs)
		return exitOK
	}
	if err == nil {
		err = runCmd(ctx, e, positional)
	}
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue) || isFlagError(err):
		fmt.Fprintf(e.stderr, "kwik %s: %v\nRun \"kwik %s --help\" for usage.\n", cmd.name, err, cmd.name)
		return exitUsage
	default:
		fmt.Fprintf(e.stderr, "kwik %s: %v\n", cmd.name, err)
		return exitFailure
	}
}

// flagError marks errors from parsing flags, which are usage errors.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func isFlagError(err error) bool {
	var fe *flagError
	return errors.As(err, &fe)
}

// parseArgs parses flags wherever they are among the arguments, so that
// "kwik get ADDR NAME -o FILE" works, and returns the positional arguments.
// After "--" everything is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &flagError{err}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// fs stopped at a positional argument or just after "--".
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// zeroDefaults are default values not worth printing.
var zeroDefaults = map[string]bool{"": true, "0": true, "false": true, "0s": true, "0 B": true, "0%": true, "unlimited": true}

func printCommandUsage(w io.Writer, cmd *command, fs *flag.FlagSet) {
	var flags bytes.Buffer
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		fmt.Fprintf(&flags, "  %s%s", dash, f.Name)
		if typ != "" {
			fmt.Fprintf(&flags, " %s", typ)
		}
		fmt.Fprintf(&flags, "\n    \t%s", strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := f.DefValue; !zeroDefaults[def] && !strings.Contains(usage, "(default") {
			fmt.Fprintf(&flags, " (default %s)", def)
		}
		flags.WriteByte('\n')
	})
	fmt.Fprintf(w, "%s\nFlags:\n%s", strings.TrimLeft(cmd.usage, "\n"), flags.String())
}

// newLogger returns the commands' logger: warnings to stderr, or everything
// with --verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
