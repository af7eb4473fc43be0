package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/kwik-transport/kwik/internal/transport"
	"github.com/kwik-transport/kwik/internal/wire"
)

var versionCommand = &command{
	name:    "version",
	summary: "print the module version and the KWIK wire version",
	usage: `
Usage: kwik version

Prints the version of the kwik module this binary was built from (with the
VCS revision when the build recorded one), the KWIK wire protocol version it
speaks, and the Go version.
`,
	flags: func(fs *flag.FlagSet) func(context.Context, *env, []string) error {
		return func(_ context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("version takes no arguments")
			}
			module, version := "github.com/kwik-transport/kwik", "(unknown)"
			var revision string
			if info, ok := debug.ReadBuildInfo(); ok {
				module, version = info.Main.Path, info.Main.Version
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" {
						revision = s.Value
					}
				}
			}
			fmt.Fprintf(e.stdout, "kwik %s %s\n", module, version)
			if revision != "" {
				fmt.Fprintf(e.stdout, "revision %s\n", revision)
			}
			fmt.Fprintf(e.stdout, "wire protocol %d (ALPN %s)\n", wire.Version, transport.ALPN)
			fmt.Fprintf(e.stdout, "%s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		}
	},
}
