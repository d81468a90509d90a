package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Browser tests drive a headless Chromium through chromedp. They skip when no
// Chromium is installed. CBEC_SCREENSHOTS=DIR writes the main pages as PNG
// files there (docs/console holds the committed ones).

// chromiumPath finds the browser: CBEC_CHROMIUM, else the usual names on
// PATH; "" when none is there.
func chromiumPath() string {
	names := []string{"chromium", "chromium-browser", "google-chrome", "chrome"}
	if p := os.Getenv("CBEC_CHROMIUM"); p != "" {
		names = []string{p}
	}
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// chromium is a running headless browser.
type chromium struct {
	t   *testing.T
	ctx context.Context // the browser's, for new tabs
}

// startChromium launches a headless browser with a fresh profile for the test.
func startChromium(t *testing.T) *chromium {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("no Chromium found (install Debian's chromium, or set CBEC_CHROMIUM): browser tests skipped")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("launch %s: %v", path, err)
	}
	return &chromium{t: t, ctx: ctx}
}

// tab is a page in its own browser context (its own cookies, like the window
// of another person).
type tab struct {
	ctx context.Context
}

// NewPage opens a tab in a new browser context, sized width × height.
func (c *chromium) NewPage(width, height int) (*tab, error) {
	ctx, cancel := chromedp.NewContext(c.ctx, chromedp.WithNewBrowserContext())
	c.t.Cleanup(cancel)
	if _, err := chromedp.Run(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		return nil, fmt.Errorf("open a tab: %w", err)
	}
	return &tab{ctx: ctx}, nil
}

// Navigate loads a URL and waits for its load event.
func (p *tab) Navigate(u string) error {
	_, err := chromedp.Run(p.ctx, chromedp.Navigate(u))
	return err
}

// Eval runs JavaScript in the page (awaiting a promise) and decodes its result into out.
func (p *tab) Eval(expr string, out any) error {
	raw, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		if out == nil && (errors.Is(err, chromedp.ErrJSUndefined) || errors.Is(err, chromedp.ErrJSNull)) {
			return nil
		}
		return fmt.Errorf("script %q: %w", expr, err)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// Submit runs a script that submits a form or follows a link, and waits for
// the next page's load event.
func (p *tab) Submit(expr string) error {
	_, err := chromedp.Run(p.ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Evaluate[chromedp.Void](expr)))
	if err != nil {
		return fmt.Errorf("submit %q: %w", expr, err)
	}
	return nil
}

// WaitFor waits until a JavaScript condition holds; the browser polls it. A
// condition that throws counts as false, and a page that navigates meanwhile
// is polled again.
func (p *tab) WaitFor(cond string, within time.Duration) error {
	deadline := time.Now().Add(within)
	expr := "(() => { try { return !!(" + cond + ") } catch (e) { return false } })()"
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return fmt.Errorf("waiting for %s: still false after %s", cond, within)
		}
		_, err := chromedp.Run(p.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(20*time.Millisecond)))
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting for %s: %w", cond, err)
		}
		// The page navigated under the poll: wait for the new document; a tab
		// that has no document any more ends the wait.
		if _, werr := chromedp.Run(p.ctx, chromedp.WaitReady(chromedp.CSS("body"))); werr != nil {
			return fmt.Errorf("waiting for %s: %w (%w)", cond, err, werr)
		}
	}
}

// Upload sets the files of a file input.
func (p *tab) Upload(selector string, files ...string) error {
	_, err := chromedp.Run(p.ctx, chromedp.SetUploadFiles(chromedp.CSS(selector), files))
	return err
}

// Screenshot writes a PNG of the page (the whole page when full) to path.
func (p *tab) Screenshot(path string, full bool) error {
	act := chromedp.CaptureScreenshot()
	if full {
		act = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(p.ctx, act)
	if err != nil {
		return err
	}
	return os.WriteFile(path, png, 0o644)
}

// DownloadTo lets the tab's browser context save downloads into dir.
func (p *tab) DownloadTo(dir string) error {
	c := chromedp.FromContext(p.ctx)
	_, err := cdp.Call(p.ctx, c.Browser, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, BrowserContextID: c.BrowserContextID, DownloadPath: dir})
	return err
}

// snap writes a screenshot into CBEC_SCREENSHOTS, if set.
func snap(t *testing.T, p *tab, name string, full bool) {
	dir := os.Getenv("CBEC_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := p.Screenshot(filepath.Join(dir, name+".png"), full); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}
