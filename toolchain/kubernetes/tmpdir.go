package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The provider writes the kubeconfig it is configured with (client key included) to a new file
// in TMPDIR at every Configure, for Helm, and never removes it; the engine ends plugins with
// SIGKILL, so the plugin cannot clean up after itself either. Each plugin process therefore gets
// a private TMPDIR, and a watcher in its own session removes it the moment the plugin ends,
// however it ends. Directories whose plugin and watcher both died are swept at the next start.

const (
	tmpPrefix = "pulumi-kubernetes-"
	// watchEnv names the directory a watcher removes; set only for the watcher process.
	watchEnv = "INTERHUB_KUBERNETES_TMP_WATCH"
)

// privateTempDir points TMPDIR at a directory of this process that is removed when it exits.
// Failing to set it up is reported and the provider runs with the TMPDIR it was given.
func privateTempDir() {
	parent := os.TempDir()
	sweepStale(parent)
	dir, err := os.MkdirTemp(parent, tmpPrefix+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-kubernetes: private TMPDIR: %v\n", err)
		return
	}
	if err := startWatcher(dir); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-kubernetes: private TMPDIR watcher: %v\n", err)
		_ = os.Remove(dir)
		return
	}
	_ = os.Setenv("TMPDIR", dir)
}

// startWatcher runs this binary as a watcher holding the read end of a pipe whose write end only
// this process holds: the kernel closes it when the process dies, even by SIGKILL, and the
// watcher's read returns.
func startWatcher(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), watchEnv+"="+dir)
	cmd.ExtraFiles = []*os.File{r}
	// Its own session, so the signal the engine sends to the plugin's process group misses it;
	// no stdio, so the engine does not wait for it to drain.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	// w stays open (and referenced) for the life of the process.
	watcherPipe = w
	return cmd.Process.Release()
}

var watcherPipe *os.File

// watchAndRemove is the watcher's whole life: wait for the plugin to end, remove its TMPDIR.
func watchAndRemove(dir string) {
	if !strings.HasPrefix(filepath.Base(dir), tmpPrefix) {
		os.Exit(2)
	}
	pipe := os.NewFile(3, "plugin")
	_, _ = io.Copy(io.Discard, pipe)
	_ = os.RemoveAll(dir)
	os.Exit(0)
}

// sweepStale removes private TMPDIRs whose plugin process is gone (its watcher was killed too).
func sweepStale(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), tmpPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(parent, e.Name()))
	}
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
