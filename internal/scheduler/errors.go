package scheduler

import (
	"errors"
	"fmt"
)

// Errors returned by the Distributor; test for them with errors.Is.
var (
	// ErrInvalidConfig matches every *ConfigError.
	ErrInvalidConfig = errors.New("scheduler: invalid config")
	// ErrNoSources means every source is down (or none was added) while part
	// of the object is still undelivered. Add a source and run again.
	ErrNoSources = errors.New("scheduler: no live source left")
	// ErrUnknownPath means a report or event named a path ID that was never
	// added with AddSource.
	ErrUnknownPath = errors.New("scheduler: unknown path")
	// ErrDuplicatePath means AddSource was given a path ID already in use;
	// path IDs are never reused, even after the path went down.
	ErrDuplicatePath = errors.New("scheduler: path ID already added")
	// ErrOverReport means a report claimed more bytes through a path than the
	// path was asked to send; the surplus is ignored. It points at a source
	// that writes more than it is asked, or reports for another stream.
	ErrOverReport = errors.New("scheduler: report exceeds bytes assigned to the path")
	// ErrAlreadyRun means Run was called more than once on a Distributor.
	ErrAlreadyRun = errors.New("scheduler: Run called twice; create a new Distributor")
	// ErrFinished means AddSource was called after Run returned.
	ErrFinished = errors.New("scheduler: distributor has finished")
	// ErrRefused, wrapped in the error of a Source's Send, means the
	// source did not take the range and sent nothing (the receiver would
	// refuse it now): the Distributor hands the range out again and gives
	// the path no new work until it progresses or one ReportInterval
	// passes. Any other Send error marks the path down.
	ErrRefused = errors.New("scheduler: source refused the range for now")
	// ErrSourceClosed means Send was called on a WriterSource whose worker has
	// stopped (its Distributor returned, its path went down, or a write failed).
	ErrSourceClosed = errors.New("scheduler: source closed")
)

// ConfigError says which Config field is invalid and why.
type ConfigError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *ConfigError) Error() string {
	return fmt.Sprintf("scheduler: Config.%s %s", e.Field, e.Reason)
}

// Is makes every *ConfigError match ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }
