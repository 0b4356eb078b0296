// Go's own reading of a Go executable, for the integration test: the entry
// and end of crypto/tls.(*Conn).Read, Write and handshakeContext from
// .gopclntab, through the standard library's debug/gosym (as Go's tools
// read it, stripped or not).
package main

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
)

func main() {
	f, err := elf.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	pcln, err := f.Section(".gopclntab").Data()
	if err != nil {
		panic(err)
	}
	var symtab []byte
	if s := f.Section(".gosymtab"); s != nil {
		symtab, _ = s.Data()
	}
	tab, err := gosym.NewTable(symtab, gosym.NewLineTable(pcln, f.Section(".text").Addr))
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).Write",
		"crypto/tls.(*Conn).handshakeContext"} {
		fn := tab.LookupFunc(name)
		fmt.Printf("func %s %#x %#x\n", name, fn.Entry, fn.End)
	}
}
