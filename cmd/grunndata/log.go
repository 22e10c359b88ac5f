package main

import (
	"io"
	"log/slog"
)

// newLogger is the process logger: text lines on w.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
