// Command steward serves the Steward dashboard and runs its maintenance
// commands. See -h.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"steward/db"
	"steward/handlers"
	"steward/internal/meta"
	"steward/internal/notify"
	"steward/internal/seed"
	"steward/internal/sso"
)

func main() {
	// A soft limit on Go's heap: near it the garbage collector works harder
	// instead of letting the heap double, so the server with SQLite's page
	// caches stays under 128 MiB (docs/benchmarks.md). GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(64 << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "steward:", err)
		os.Exit(1)
	}
}

const usageText = `Steward keeps one record of who holds access to which business accounts.

Usage:
  steward [flags]                      serve the dashboard (the default)
  steward user add -email E -role R    add a login; the password is read from standard input
  steward audit verify [-accept-restored-triggers]
                                       check the whole audit hash chain (the admin page shows the result)
  steward backup FILE                  write a consistent copy of the database to FILE
  steward seed                         fill the database with the demo company
  steward seed -owners N -tokens N -events N [-seed S]
                                       fill an empty database with a large generated inventory (benchmarks)
  steward version                      print the version and build information (also -version)

Audit key: each audit event's hash is keyed with a secret kept outside the database, so that
whoever can write the database file alone cannot rewrite its history. Back the key file up with
the database (but apart from it): without the key the audit log cannot be verified. Every
subcommand that opens the database needs the same key: the key file (-audit-key-file), or the
key itself as 64 hex digits in STEWARD_AUDIT_KEY.

Secret key: the Meta app's secret and a kept token (Admin > Connectors) are sealed under a key
outside the database: the key file (-secret-key-file, made beside the database when first needed)
or STEWARD_SECRET_KEY (32 bytes, base64). Keep it apart from backups.

First admin: when no login exists, STEWARD_ADMIN_EMAIL and STEWARD_ADMIN_PASSWORD create it;
without them Steward prints a one-time setup link (/setup?code=...) to its log. With single
sign-on configured, STEWARD_ADMIN_EMAIL alone creates an admin who signs in through the provider;
with password sign-in off (STEWARD_PASSWORD_LOGIN=0) that is the only way.
`

// run is the whole program, so tests can start Steward in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		switch args[1] {
		case "user":
			return runUser(ctx, args[2:], getenv, stdin, stdout, stderr)
		case "audit":
			return runAudit(ctx, args[2:], getenv, stdout, stderr)
		case "backup":
			return runBackup(ctx, args[2:], getenv, stdout, stderr)
		case "seed":
			return runSeed(ctx, args[2:], getenv, stdout, stderr)
		case "version", "-version", "--version":
			fmt.Fprint(stdout, versionText())
			return nil
		case "serve":
			args = args[1:]
		}
	}
	return serve(ctx, args[1:], getenv, stdout, stderr)
}

// newFlags makes a flag set whose -h prints the usage text and then the
// command's own flags, each once: the flags are described only where they
// are defined, so the two cannot disagree.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usageText)
		fmt.Fprintf(stderr, "\nFlags of %q (each falls back to the environment variable it names):\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// storeFlags are the flags of every command that opens the database.
type storeFlags struct {
	db, auditKeyFile, secretKeyFile *string
	mail                            bool // Steward can send email: the rules queue emails (db.Options.Mail)
}

func addStoreFlags(fs *flag.FlagSet, getenv func(string) string) storeFlags {
	return storeFlags{
		db: fs.String("db", envOr(getenv, "STEWARD_DB", "steward.db"), "SQLite database file, created and migrated on start (STEWARD_DB)"),
		auditKeyFile: fs.String("audit-key-file", getenv("STEWARD_AUDIT_KEY_FILE"),
			"the audit log's key file, created with mode 0600 on first start; back it up with the database (STEWARD_AUDIT_KEY_FILE; default: the database file + .audit-key, e.g. steward.db.audit-key)"),
		secretKeyFile: fs.String("secret-key-file", getenv("STEWARD_SECRET_KEY_FILE"),
			"the key that seals the Meta app's secret and a kept token, created with mode 0600 when first needed; keep it apart from backups (STEWARD_SECRET_KEY_FILE; default: the database file + .secret-key; or the key itself as base64 in STEWARD_SECRET_KEY)"),
	}
}

// open opens the database with its audit key: STEWARD_AUDIT_KEY when set,
// else the key file.
func (f storeFlags) open(ctx context.Context, getenv func(string) string, log *slog.Logger) (*db.Store, error) {
	opts := db.Options{AuditKeyFile: *f.auditKeyFile, Log: log, Mail: f.mail}
	if !f.mail {
		// A command's alerts (a failed audit verify) are queued here and
		// sent by the server: by email too when the server has mail.
		if mail, err := notify.ParseMailURL(getenv("STEWARD_SMTP_URL"), getenv("STEWARD_MAIL_FROM")); err == nil {
			opts.Mail = mail.Enabled()
		}
	}
	if text := getenv("STEWARD_AUDIT_KEY"); text != "" {
		key, err := db.ParseAuditKey(text)
		if err != nil {
			return nil, fmt.Errorf("STEWARD_AUDIT_KEY: %w", err)
		}
		opts.AuditKey = key
	}
	opts.SecretKeyFile = *f.secretKeyFile
	if text := getenv("STEWARD_SECRET_KEY"); text != "" {
		key, err := db.ParseSecretKey(text)
		if err != nil {
			return nil, fmt.Errorf("STEWARD_SECRET_KEY: %w", err)
		}
		opts.SecretKey = key
	}
	return db.OpenWith(ctx, *f.db, opts)
}

// newLog is the log of the server and every command: text on stderr.
func newLog(stderr io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(stderr, nil)) }

func envOr(getenv func(string) string, key, fallback string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return fallback
}

// envSwitch reads an on/off setting that is on or off unless set.
func envSwitch(getenv func(string) string, key string, fallback bool) (bool, error) {
	switch v := strings.ToLower(getenv(key)); v {
	case "":
		return fallback, nil
	case "1", "true", "yes", "on":
		return true, nil
	case "0", "false", "no", "off":
		return false, nil
	default:
		return fallback, fmt.Errorf("%s: %q is neither 1 nor 0", key, v)
	}
}

// envRate reads a setting that is a positive number, def when unset.
func envRate(getenv func(string) string, key string, def float64) (float64, error) {
	v := getenv(key)
	if v == "" {
		return def, nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && positiveRate(f) {
		return f, nil
	}
	return def, fmt.Errorf("%s: %q is not a positive number", key, v)
}

// positiveRate says whether f is a rate a limiter can keep.
func positiveRate(f float64) bool { return f > 0 && !math.IsInf(f, 1) }

func envBool(getenv func(string) string, key string) bool {
	switch strings.ToLower(getenv(key)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("steward", stderr)
	addr := fs.String("addr", envOr(getenv, "STEWARD_ADDR", "127.0.0.1:8080"), "address to listen on (STEWARD_ADDR)")
	sf := addStoreFlags(fs, getenv)
	dbPath := sf.db
	baseURL := fs.String("base-url", getenv("STEWARD_BASE_URL"), "public address; https makes cookies Secure with __Host- names and adds HSTS (STEWARD_BASE_URL)")
	demo := fs.Bool("demo", envBool(getenv, "STEWARD_DEMO"), "fill an empty database with a sample company (STEWARD_DEMO=1)")
	trustProxy := fs.Bool("trust-proxy", envBool(getenv, "STEWARD_TRUST_PROXY"), "take client addresses from X-Forwarded-For, only behind a proxy (STEWARD_TRUST_PROXY=1)")
	version := fs.Bool("version", false, "print the version and build information, and exit")
	apiKeyRateDefault, err := envRate(getenv, "STEWARD_API_KEY_RATE", 20)
	if err != nil {
		return err
	}
	apiKeyRate := fs.Float64("api-key-rate", apiKeyRateDefault, "requests a second each API key may make, in bursts of twice that (STEWARD_API_KEY_RATE)")
	// The SMTP URL's default is not the environment's: -h prints defaults,
	// and the URL holds the password.
	smtpURL := fs.String("smtp-url", "", "mail server for email, smtp://user:password@host:587 (STARTTLS, required unless the host is loopback) or smtps://user:password@host:465; prefer the environment, the command line is visible to others (STEWARD_SMTP_URL)")
	mailFrom := fs.String("mail-from", getenv("STEWARD_MAIL_FROM"), "the address Steward's email comes from, such as steward@example.com (STEWARD_MAIL_FROM)")
	// Nor is the metrics token's, for the same reason.
	metricsToken := fs.String("metrics-token", "", "lets a scraper that sends it as \"Authorization: Bearer TOKEN\" read /metrics from anywhere; without it only this machine may; prefer the environment (STEWARD_METRICS_TOKEN)")
	var ssoSet sso.Settings
	fs.StringVar(&ssoSet.Issuer, "oidc-issuer", getenv("STEWARD_OIDC_ISSUER"), "single sign-on: the OpenID provider's issuer URL, https://... (STEWARD_OIDC_ISSUER); register the base URL + "+sso.CallbackPath+" as its redirect URL")
	fs.StringVar(&ssoSet.ClientID, "oidc-client-id", getenv("STEWARD_OIDC_CLIENT_ID"), "single sign-on: the client ID registered at the provider (STEWARD_OIDC_CLIENT_ID)")
	// Like the SMTP URL, the secret's default is not the environment's.
	fs.StringVar(&ssoSet.ClientSecret, "oidc-client-secret", "", "single sign-on: the client secret; prefer the environment, the command line is visible to others (STEWARD_OIDC_CLIENT_SECRET)")
	fs.StringVar(&ssoSet.AllowedDomains, "oidc-allowed-domains", getenv("STEWARD_OIDC_ALLOWED_DOMAINS"), "single sign-on: the email domains that may sign in, comma-separated, such as example.com,example.org (STEWARD_OIDC_ALLOWED_DOMAINS)")
	fs.StringVar(&ssoSet.DefaultRole, "oidc-default-role", envOr(getenv, "STEWARD_OIDC_DEFAULT_ROLE", db.RoleViewer), "single sign-on: the role of a login made at its first sign-in: admin, editor or viewer (STEWARD_OIDC_DEFAULT_ROLE)")
	fs.StringVar(&ssoSet.Name, "oidc-name", getenv("STEWARD_OIDC_NAME"), "single sign-on: the provider's name on the sign-in button (STEWARD_OIDC_NAME; default: the issuer's host)")
	passwordLoginDefault, err := envSwitch(getenv, "STEWARD_PASSWORD_LOGIN", true)
	if err != nil {
		return err
	}
	metaGraphURL := fs.String("meta-graph-url", envOr(getenv, "STEWARD_META_GRAPH_URL", meta.DefaultGraphURL), "Meta's Graph API, with its version (STEWARD_META_GRAPH_URL)")
	passwordLogin := fs.Bool("password-login", passwordLoginDefault, "sign-in with email and password; false (STEWARD_PASSWORD_LOGIN=0) leaves only single sign-on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *metricsToken == "" {
		*metricsToken = getenv("STEWARD_METRICS_TOKEN")
	}
	if u, err := url.Parse(*metaGraphURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("-meta-graph-url / STEWARD_META_GRAPH_URL %q is not an http(s) address", meta.Redact(*metaGraphURL))
	}
	if ssoSet.ClientSecret == "" {
		ssoSet.ClientSecret = getenv("STEWARD_OIDC_CLIENT_SECRET")
	}
	if !*passwordLogin && !ssoSet.Enabled() {
		return errors.New("STEWARD_PASSWORD_LOGIN=0 turns password sign-in off, but single sign-on is not configured (STEWARD_OIDC_ISSUER and the rest): nobody could sign in")
	}
	if ssoSet.Enabled() {
		if err := ssoSet.Check(); err != nil {
			return err
		}
	}
	if !positiveRate(*apiKeyRate) {
		return fmt.Errorf("-api-key-rate: %v is not a positive number of requests a second", *apiKeyRate)
	}
	if *version {
		fmt.Fprint(stdout, versionText())
		return nil
	}
	if *smtpURL == "" {
		*smtpURL = getenv("STEWARD_SMTP_URL")
	}
	mail, err := notify.ParseMailURL(*smtpURL, *mailFrom)
	if err != nil {
		return err
	}
	sf.mail = mail.Enabled()
	log := newLog(stderr)

	store, err := sf.open(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if mail.Enabled() {
		log.Info("email on", "host", mail.Host, "port", mail.Port, "tls", mail.TLS, "from", mail.From)
	}
	if *demo {
		if err := seed.Demo(ctx, store); err != nil {
			return err
		}
	}
	key, err := store.SessionKey(ctx)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	public := *baseURL
	if public == "" {
		public = "http://" + ln.Addr().String()
	}
	var provider *sso.Provider
	if ssoSet.Enabled() {
		// Discovery fails start-up at once rather than retrying: a wrong
		// issuer shows now, and a provider that is down for a moment is
		// the service manager's to retry (systemd's Restart=on-failure).
		if provider, err = sso.Discover(ctx, ssoSet, public); err != nil {
			ln.Close()
			return err
		}
		log.Info("single sign-on on", "issuer", ssoSet.Issuer, "redirect_url", provider.RedirectURL(),
			"allowed_domains", ssoSet.AllowedDomains, "default_role", provider.DefaultRole(), "password_login", *passwordLogin)
	}
	if err := firstAdmin(ctx, store, getenv, public, log, provider != nil, !*passwordLogin); err != nil {
		ln.Close()
		return err
	}

	// The scheduler and the sender run beside the server and stop before
	// the store closes, once the delivery under way is recorded.
	metaClient := &meta.Client{BaseURL: *metaGraphURL}
	notifier := notify.New(store, notify.Config{BaseURL: public, Log: log, Mail: mail})
	notifier.Register(notify.MetaSyncJob(store, metaClient))
	notifyCtx, stopNotifier := context.WithCancel(ctx)
	notifierDone := make(chan struct{})
	go func() { defer close(notifierDone); notifier.Run(notifyCtx) }()
	defer func() { stopNotifier(); <-notifierDone }()

	e, _ := handlers.New(store, log, handlers.Config{BaseURL: *baseURL, TrustProxy: *trustProxy, SessionKey: key,
		ListenAddr: ln.Addr().String(), Notifier: notifier, Mail: mail.MailSettings, SSO: provider, NoPasswordLogin: !*passwordLogin,
		MetricsToken: *metricsToken, APIKeyRate: *apiKeyRate, APIKeyBurst: int(max(1, 2**apiKeyRate)),
		Meta: metaClient})
	srv := &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go expireSessions(ctx, store, log)
	if addr := getenv("STEWARD_PPROF_ADDR"); addr != "" {
		if err := servePprof(ctx, addr, log); err != nil {
			ln.Close()
			return err
		}
	}
	log.Info("steward listening", "addr", ln.Addr().String(), "url", public, "db", *dbPath)
	fmt.Fprintf(stdout, "Steward is running at %s\n", public)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// servePprof serves Go's profiler on its own loopback listener, for
// benchmarks (make bench -pprof). It is off unless STEWARD_PPROF_ADDR is
// set, and refuses any address but loopback: profiles reveal memory.
func servePprof(ctx context.Context, addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("STEWARD_PPROF_ADDR %q: only a loopback address such as 127.0.0.1:6060 is allowed", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s for pprof: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() { _ = srv.Serve(ln) }()
	log.Warn("profiler listening; do not leave this on", "addr", ln.Addr().String())
	return nil
}

// firstAdmin makes sure someone can sign in: from the environment, or with
// a one-time setup link printed to the log. With single sign-on on, the
// email alone makes an admin who signs in through the provider; with
// password sign-in off, it is the only way (never the first sign-in from
// an allowed domain: whoever came first would be admin).
func firstAdmin(ctx context.Context, store *db.Store, getenv func(string) string, public string, log *slog.Logger, ssoOn, passwordOff bool) error {
	n, err := store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	email, password := getenv("STEWARD_ADMIN_EMAIL"), getenv("STEWARD_ADMIN_PASSWORD")
	if email != "" && (password != "" || ssoOn) {
		in := db.UserInput{Email: email, Password: password, Role: db.RoleAdmin, NoPassword: password == "" || passwordOff}
		if _, err := store.CreateUser(ctx, db.SystemActor("environment"), in); err != nil {
			return fmt.Errorf("create the first admin from STEWARD_ADMIN_EMAIL: %w", err)
		}
		log.Info("created the first admin", "email", email, "password", !in.NoPassword)
		return nil
	}
	if passwordOff {
		return errors.New("no login exists yet and password sign-in is off: set STEWARD_ADMIN_EMAIL to the email the first admin signs in with through single sign-on")
	}
	code, err := store.NewSetupCode(ctx)
	if err != nil {
		return err
	}
	log.Warn("no login exists yet: open the setup link to create the first admin",
		"setup_url", strings.TrimSuffix(public, "/")+"/setup?code="+code)
	return nil
}

// expireSessions deletes ended sessions every few minutes.
func expireSessions(ctx context.Context, store *db.Store, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := store.Now()
			if err := store.DeleteExpiredSessions(ctx, now.Add(-handlers.SessionIdle), now.Add(-handlers.SessionAbsolute)); err != nil {
				log.Error("expire sessions", "err", err)
			}
		}
	}
}

func runUser(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: steward user add -email E -role admin|editor|viewer (password on standard input)")
	}
	fs := newFlags("user add", stderr)
	sf := addStoreFlags(fs, getenv)
	email := fs.String("email", "", "the login's email")
	role := fs.String("role", db.RoleViewer, "admin, editor or viewer")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from standard input: %w", err)
	}
	password = strings.TrimRight(password, "\r\n")
	store, err := sf.open(ctx, getenv, newLog(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	id, err := store.CreateUser(ctx, db.SystemActor("command line"), db.UserInput{Email: *email, Password: password, Role: *role})
	var verr db.ValidationError
	if errors.As(err, &verr) {
		var msgs []string
		for field, msg := range verr {
			msgs = append(msgs, field+": "+msg)
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "added %s (%s) as user %d\n", *email, *role, id)
	return nil
}

func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: steward audit verify [-db FILE] [-audit-key-file FILE] [-accept-restored-triggers]")
	}
	fs := newFlags("audit verify", stderr)
	sf := addStoreFlags(fs, getenv)
	accept := fs.Bool("accept-restored-triggers", false,
		"record that you have looked into append-only triggers Steward had to restore at a start, so checks pass again")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	log := newLog(stderr)
	store, err := sf.open(ctx, getenv, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if *accept {
		done, err := store.AcceptRestoredTriggers(ctx, db.SystemActor("command line"))
		if err != nil {
			return err
		}
		if done {
			fmt.Fprintln(stdout, "recorded that the restored append-only triggers were looked into")
		} else {
			fmt.Fprintln(stdout, "no restored triggers were waiting to be accepted")
		}
	}
	// The outcome is recorded, so the admin page shows when the chain was
	// last checked, also by this command; the verified head goes to the log.
	res, err := store.VerifyAndRecordAudit(ctx)
	if err != nil {
		return err
	}
	if !res.Intact() {
		return fmt.Errorf("audit chain broken at event %d (%s); %d events checked", res.BrokenID, res.Problem, res.Checked)
	}
	fmt.Fprintf(stdout, "audit chain intact: %d events checked, head event %d %s\n", res.Checked, res.HeadID, res.HeadHash)
	return nil
}

func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	sf := addStoreFlags(fs, getenv)
	dbPath := sf.db
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: steward backup [-db FILE] [-audit-key-file FILE] BACKUP-FILE")
	}
	store, err := sf.open(ctx, getenv, newLog(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.Backup(ctx, fs.Arg(0)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (mode 0600); its audit log is verified with the same audit key, which the backup does not hold\n", *dbPath, fs.Arg(0))
	return nil
}

func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", stderr)
	sf := addStoreFlags(fs, getenv)
	dbPath := sf.db
	owners := fs.Int("owners", 0, "with any size flag: fill an empty database with this many owners (default tokens/10)")
	tokens := fs.Int("tokens", 0, "tokens in the large dataset (default owners*10)")
	events := fs.Int("events", 0, "audit events in the large dataset (default tokens*10)")
	randSeed := fs.Int64("seed", 1, "random seed of the large dataset; the same seed gives the same data on the same day")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := sf.open(ctx, getenv, newLog(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	if *owners == 0 && *tokens == 0 && *events == 0 {
		if err := seed.Demo(ctx, store); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded %s with the demo company\n", *dbPath)
		return nil
	}
	size := seed.Size{Owners: *owners, Tokens: *tokens, Events: *events, Seed: *randSeed}
	if size.Owners == 0 {
		size.Owners = max(20, size.Tokens/10)
	}
	if size.Tokens == 0 {
		size.Tokens = size.Owners * 10
	}
	if size.Events == 0 {
		size.Events = size.Tokens * 10
	}
	start := time.Now()
	st, err := seed.Scale(ctx, store, size)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %s in %s: %d owners, %d accounts, %d integrations, %d system users, %d roles, %d tokens, %d audit events (%d links)\n",
		*dbPath, time.Since(start).Round(time.Millisecond), st.Owners, st.Accounts, st.Integrations, st.SystemUsers, st.Roles,
		st.Tokens, st.Events, st.Links)
	return nil
}
