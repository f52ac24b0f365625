package wire

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// assembler collects classic BPF instructions with jumps to named labels,
// and resolves the labels into the relative skips BPF wants once the
// program is complete.
type assembler struct {
	ins    []bpf.Instruction
	labels map[string]int
	fixups []fixup
}

// fixup is a jump whose targets are labels; "" is the next instruction.
type fixup struct {
	at              int
	ifTrue, ifFalse string
}

func newAssembler() *assembler { return &assembler{labels: map[string]int{}} }

// op appends instructions that do not jump.
func (a *assembler) op(ins ...bpf.Instruction) { a.ins = append(a.ins, ins...) }

// label names the next instruction.
func (a *assembler) label(name string) { a.labels[name] = len(a.ins) }

// jumpIf compares register A with val and goes on at ifTrue or ifFalse.
func (a *assembler) jumpIf(cond bpf.JumpTest, val uint32, ifTrue, ifFalse string) {
	a.fixups = append(a.fixups, fixup{len(a.ins), ifTrue, ifFalse})
	a.ins = append(a.ins, bpf.JumpIf{Cond: cond, Val: val})
}

// jump goes on at label, however far.
func (a *assembler) jump(label string) {
	a.fixups = append(a.fixups, fixup{len(a.ins), label, ""})
	a.ins = append(a.ins, bpf.Jump{})
}

// program resolves the jumps and returns the instructions. A conditional
// jump reaches at most 255 instructions ahead; the filters built here stay
// well within that, and one that did not would be refused here rather
// than by the kernel.
func (a *assembler) program() ([]bpf.Instruction, error) {
	for _, f := range a.fixups {
		t, err := a.skip(f.at, f.ifTrue)
		if err != nil {
			return nil, err
		}
		switch ins := a.ins[f.at].(type) {
		case bpf.Jump:
			ins.Skip = t
			a.ins[f.at] = ins
		case bpf.JumpIf:
			e, err := a.skip(f.at, f.ifFalse)
			if err != nil {
				return nil, err
			}
			if t > 255 || e > 255 {
				return nil, fmt.Errorf("bpf: a jump of more than 255 instructions at %d", f.at)
			}
			ins.SkipTrue, ins.SkipFalse = uint8(t), uint8(e)
			a.ins[f.at] = ins
		}
	}
	return a.ins, nil
}

// skip is the number of instructions to skip from at to reach label.
func (a *assembler) skip(at int, label string) (uint32, error) {
	if label == "" {
		return 0, nil
	}
	to, ok := a.labels[label]
	if !ok || to <= at {
		return 0, fmt.Errorf("bpf: no label %q after instruction %d", label, at)
	}
	return uint32(to - at - 1), nil
}
