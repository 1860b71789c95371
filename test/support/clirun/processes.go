package clirun

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Processes lists the live processes started for the stacks of the file backend in backendDir
// (the CLI, the language host, the program and the plugins all inherit its
// PULUMI_BACKEND_URL): process ID -> the base name of the program. The calling process is left
// out.
func Processes(backendDir string) map[int]string {
	marker := []byte("PULUMI_BACKEND_URL=file://" + backendDir + "\x00")
	entries, _ := os.ReadDir("/proc")
	out := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(env, marker) {
			continue
		}
		cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		argv0, _, _ := strings.Cut(string(cmd), "\x00")
		out[pid] = filepath.Base(argv0)
	}
	return out
}
