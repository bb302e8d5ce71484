package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url, out := os.Args[1], os.Args[2]
	w, _ := strconv.Atoi(os.Args[3])
	h, _ := strconv.Atoi(os.Args[4])
	wait, _ := strconv.Atoi(os.Args[5])
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("chromium"), chromedp.Flag("no-sandbox", true))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), int64(h))); err != nil {
		panic(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		panic(err)
	}
	time.Sleep(time.Duration(wait) * time.Millisecond)
	for _, js := range os.Args[6:] {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](js)); err != nil {
			fmt.Println("js:", err)
		}
		time.Sleep(1500 * time.Millisecond)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		panic(err)
	}
	os.WriteFile(out, png, 0o644)
}
