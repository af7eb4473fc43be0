package emulator

import (
	"fmt"
	"net"
)

// ErrClosed is returned by operations on a closed Link. It matches
// net.ErrClosed with errors.Is.
var ErrClosed = fmt.Errorf("emulator: link is closed: %w", net.ErrClosed)

// ConfigError reports a LinkConfig field that Validate rejected.
type ConfigError struct {
	Field  string // the field, e.g. "Loss" or "Down.Rate"
	Value  string // the rejected value, formatted
	Reason string // what a valid value looks like
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("emulator: invalid LinkConfig.%s = %s: %s", e.Field, e.Value, e.Reason)
}

// ParseError reports a rate or loss string that ParseRate or ParseLoss could
// not read.
type ParseError struct {
	What   string // "rate" or "loss"
	Input  string // the string as given
	Reason string // what was wrong and how to write it instead
	Err    error  // the underlying strconv error, if any
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("emulator: invalid %s %q: %s", e.What, e.Input, e.Reason)
}

// Unwrap returns the underlying strconv error, if any.
func (e *ParseError) Unwrap() error { return e.Err }
