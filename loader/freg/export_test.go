package freg

// ScanUnknown exposes scanUnknown to the external tests.
var ScanUnknown = scanUnknown
