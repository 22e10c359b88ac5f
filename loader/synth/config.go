package synth

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"time"
)

// FormatVersion is written to dataset.json; it changes when a file format in
// docs/formats.md changes incompatibly.
const FormatVersion = 1

// Config says what to generate. Flags bind to it in cmd/grunndata.
type Config struct {
	// Preset is the dataset size: "small", "medium" or "national".
	Preset string
	// Seed selects the dataset; the same preset and seed give byte-identical
	// files whatever Workers is.
	Seed uint64
	// Out is the directory to write; it is created if missing. Existing files
	// of the same names are replaced.
	Out string
	// Workers is the number of encoding goroutines; 0 means GOMAXPROCS.
	Workers int
	// Progress, when not nil, receives a progress line per file (meant for a
	// terminal). Nil means silent.
	Progress io.Writer
	// Deltas is the number of change-feed directories (deltas/0001, …) to
	// write after the bulk files, each continuing the feeds of the one
	// before (see delta.go and docs/formats.md).
	Deltas int
	// DeltaChanges is the number of changes per delta, over both registers;
	// 0 means DefaultDeltaChanges(Preset).
	DeltaChanges int
	// DeltasOnly skips the bulk files: it writes feed-positions.json and the
	// deltas for a bulk of the same preset and seed written before (or
	// elsewhere), which they continue.
	DeltasOnly bool
	// ReshNonLeafServices, when > 0, gives that many RESH units with child
	// units a service each, in file order (RHF, HF, institution, …): a
	// violation of the leaf-node rule the loader warns about
	// (resh-service-on-non-leaf, docs/formats.md). 0, the default, writes
	// no RESH services.
	ReshNonLeafServices int
}

// DefaultConfig returns the small preset with seed 1 and one worker per CPU.
func DefaultConfig() Config {
	return Config{Preset: "small", Seed: 1, Workers: runtime.GOMAXPROCS(0)}
}

// Preset holds the sizes of a dataset.
type Preset struct {
	Name string `json:"name"`
	// Fnr and Dnr are the numbers of Freg persons with a fødselsnummer and
	// with only a D-number.
	Fnr int `json:"fnr"`
	Dnr int `json:"dnr"`
	// Enheter and Underenheter are the Enhetsregisteret sizes.
	Enheter      int `json:"enheter"`
	Underenheter int `json:"underenheter"`
	// HPR is the number of HPR persons.
	HPR int `json:"hpr"`
	// AR is the target number of Adresseregisteret communication parties.
	AR int `json:"ar"`
	// GPContracts is the number of Fastlegeregisteret contracts.
	GPContracts int `json:"gpContracts"`
	// ReshInst, ReshAvd and ReshSeks are the mean branching factors of the
	// RESH tree below each HF: institutions, departments, sections.
	ReshInst int `json:"reshInstitutionsPerHF"`
	ReshAvd  int `json:"reshDepartmentsPerInstitution"`
	ReshSeks int `json:"reshSectionsPerDepartment"`
}

var presets = map[string]Preset{
	"small": {Name: "small", Fnr: 15_600, Dnr: 4_400, Enheter: 4_000, Underenheter: 2_200, HPR: 1_500,
		AR: 320, GPContracts: 24, ReshInst: 1, ReshAvd: 1, ReshSeks: 1},
	"medium": {Name: "medium", Fnr: 560_000, Dnr: 160_000, Enheter: 110_000, Underenheter: 60_000, HPR: 50_000,
		AR: 10_000, GPContracts: 500, ReshInst: 3, ReshAvd: 5, ReshSeks: 4},
	"national": {Name: "national", Fnr: 5_600_000, Dnr: 1_600_000, Enheter: 1_100_000, Underenheter: 600_000,
		HPR: 500_000, AR: 100_000, GPContracts: 5_000, ReshInst: 4, ReshAvd: 12, ReshSeks: 14},
}

// Presets returns the preset names, smallest first.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return presets[names[i]].Fnr < presets[names[j]].Fnr })
	return names
}

// LookupPreset returns the sizes of a named preset.
func LookupPreset(name string) (Preset, error) {
	p, ok := presets[name]
	if !ok {
		return Preset{}, fmt.Errorf("unknown preset %q (want one of %v)", name, Presets())
	}
	return p, nil
}

// FileSummary describes one output file (or, for freg/, the set of files).
type FileSummary struct {
	Name    string        `json:"name"`
	Files   int           `json:"files"`
	Records int64         `json:"records"`
	Bytes   int64         `json:"bytes"`
	Elapsed time.Duration `json:"-"`
}

// Summary describes a generated dataset.
type Summary struct {
	Preset  string
	Seed    uint64
	Dir     string
	Files   []FileSummary
	Elapsed time.Duration
}

// Records returns the total number of records written.
func (s Summary) Records() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Records
	}
	return n
}

// Bytes returns the total number of bytes written.
func (s Summary) Bytes() int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Bytes
	}
	return n
}
