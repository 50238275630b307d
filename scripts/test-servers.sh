#!/usr/bin/env bash
# Starts (or stops) the system file servers the full test suite talks to:
#   - Debian vsftpd with explicit TLS (and a second instance with implicit TLS),
#     require_ssl_reuse=YES, passive ports on loopback;
#   - Debian OpenSSH serving SFTP with password authentication.
# Each runs as its own instance with its own config, key and pid file under
# $STATE; the system's /etc/vsftpd.conf and /etc/ssh/sshd_config are never
# touched. Ports are chosen free at start (never fixed: another program on a
# fixed port would have the suite test against it), and a server counts as up
# only when the process listening on its port is the one started here (its
# pid file). Idempotent: "start" with our servers already up reuses them.
# Connection details are written to $ENV_FILE, which the tests read.
# Must run as root (creates the test user, sshd and vsftpd need root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
STATE="${REMESSA_TEST_SERVERS_DIR:-/tmp/remessa-test-servers}"
ENV_FILE="${REMESSA_TEST_SERVERS_ENV:-/tmp/remessa-test-servers.env}"
TEST_USER=${REMESSA_TEST_SERVERS_USER:-remessa-ftp}
# A throwaway password for a throwaway local account that only loopback servers accept.
TEST_PASSWORD='Senha-de-teste-123'
HOME_DIR="$STATE/home"
PORTS_FILE="$STATE/ports"

log() { printf 'test-servers: %s\n' "$*" >&2; }

# A port nothing listens on now, as the kernel hands them out.
free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# The first of N consecutive ports on which nothing listens (passive ranges).
free_range() {
  local count=$1 base used
  used=$(ss -ltnH | awk '{n = split($4, a, ":"); print a[n]}')
  for _ in $(seq 1 100); do
    base=$((30000 + RANDOM % 9000))
    if ! printf '%s\n' "$used" | awk -v lo="$base" -v hi="$((base + count - 1))" '$1 >= lo && $1 <= hi {f = 1} END {exit !f}'; then
      echo "$base"
      return 0
    fi
  done
  log "no free range of $count ports"
  return 1
}

# The pid of the process listening on a loopback TCP port (empty if none).
listener_pid() {
  ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2
}

# True when the process listening on the port is the one in the pid file.
is_ours() { # port pidfile
  [ -s "$2" ] && [ "$(listener_pid "$1")" = "$(cat "$2")" ]
}

wait_ours() { # port pidfile
  for _ in $(seq 1 50); do
    is_ours "$1" "$2" && return 0
    sleep 0.1
  done
  log "port $1 is not answered by our server (pid file $2, listener pid '$(listener_pid "$1")'); see the logs in $STATE"
  return 1
}

ensure_user() {
  if ! id "$TEST_USER" >/dev/null 2>&1; then
    useradd --home-dir "$HOME_DIR" --no-create-home --shell /bin/bash "$TEST_USER"
  else
    usermod --home "$HOME_DIR" "$TEST_USER"
  fi
  echo "$TEST_USER:$TEST_PASSWORD" | chpasswd
  mkdir -p "$HOME_DIR"
  chown "$TEST_USER:" "$HOME_DIR"
  chmod 755 "$HOME_DIR"
  # A folder the user may read but not write: the "no permission" outcome.
  mkdir -p "$HOME_DIR/somente-leitura"
  chown root:root "$HOME_DIR/somente-leitura"
  chmod 755 "$HOME_DIR/somente-leitura"
}

ensure_cert() {
  mkdir -p "$STATE/tls"
  if [ ! -s "$STATE/tls/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
      -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$STATE/tls/key.pem" -out "$STATE/tls/cert.pem" 2>/dev/null
    chmod 600 "$STATE/tls/key.pem"
  fi
}

render() { # template port implicit pasv_min pasv_max > file
  sed -e "s|@STATE@|$STATE|g" -e "s|@PORT@|$2|g" -e "s|@IMPLICIT@|$3|g" \
    -e "s|@PASV_MIN@|$4|g" -e "s|@PASV_MAX@|$5|g" -e "s|@USER@|$TEST_USER|g" "$1"
}

start_vsftpd() { # port implicit pasv_min pasv_max
  local port=$1 conf="$STATE/vsftpd-$1.conf" pidfile="$STATE/vsftpd-$1.pid"
  render "$here/test-servers/vsftpd.conf.template" "$port" "$2" "$3" "$4" >"$conf"
  # Not a process group leader here, so setsid execs in place: $! is vsftpd's pid.
  setsid /usr/sbin/vsftpd "$conf" </dev/null >>"$STATE/vsftpd-$port.out" 2>&1 &
  echo $! >"$pidfile"
  wait_ours "$port" "$pidfile"
  log "vsftpd on 127.0.0.1:$port (implicit TLS: $2, pid $(cat "$pidfile"))"
}

start_sshd() {
  mkdir -p "$STATE/ssh" /run/sshd
  chmod 700 "$STATE/ssh"
  [ -s "$STATE/ssh/host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh/host_ed25519_key"
  rm -f "$STATE/sshd.pid"
  render "$here/test-servers/sshd_config.template" "$SFTP_PORT" NO 0 0 >"$STATE/sshd_config"
  /usr/sbin/sshd -t -f "$STATE/sshd_config"
  /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
  wait_ours "$SFTP_PORT" "$STATE/sshd.pid"
  log "sshd (SFTP) on 127.0.0.1:$SFTP_PORT (pid $(cat "$STATE/sshd.pid"))"
}

# Our three servers from an earlier start, all still up and still ours.
running_ours() {
  [ -s "$PORTS_FILE" ] && [ -s "$ENV_FILE" ] || return 1
  # shellcheck disable=SC1090
  . "$PORTS_FILE"
  is_ours "$FTP_PORT" "$STATE/vsftpd-$FTP_PORT.pid" &&
    is_ours "$FTPS_IMPLICIT_PORT" "$STATE/vsftpd-$FTPS_IMPLICIT_PORT.pid" &&
    is_ours "$SFTP_PORT" "$STATE/sshd.pid"
}

stop_all() {
  for pidfile in "$STATE"/vsftpd-*.pid "$STATE/sshd.pid"; do
    [ -e "$pidfile" ] && stop_pidfile "$pidfile"
  done
  rm -f "$ENV_FILE" "$PORTS_FILE"
}

write_env() {
  local fingerprint
  fingerprint=$(openssl x509 -in "$STATE/tls/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)
  local hostkey
  hostkey=$(ssh-keygen -l -E sha256 -f "$STATE/ssh/host_ed25519_key.pub" | awk '{print $2}')
  cat >"$ENV_FILE.tmp" <<ENV
REMESSA_TEST_FTP_HOST=127.0.0.1
REMESSA_TEST_FTP_PORT=$FTP_PORT
REMESSA_TEST_FTPS_IMPLICIT_PORT=$FTPS_IMPLICIT_PORT
REMESSA_TEST_SFTP_PORT=$SFTP_PORT
REMESSA_TEST_FTP_USER=$TEST_USER
REMESSA_TEST_FTP_PASSWORD=$TEST_PASSWORD
REMESSA_TEST_FTP_HOME=$HOME_DIR
REMESSA_TEST_FTP_READONLY=$HOME_DIR/somente-leitura
REMESSA_TEST_FTP_CERT_SHA256=$fingerprint
REMESSA_TEST_SFTP_HOSTKEY_SHA256=$hostkey
ENV
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  log "connection details in $ENV_FILE"
}

stop_pidfile() {
  local pidfile=$1
  if [ -s "$pidfile" ]; then
    local pid
    pid=$(cat "$pidfile")
    # Only our server: after a reboot or a cleanup the pid may be another program's.
    case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
    vsftpd | sshd) kill "$pid" 2>/dev/null || true ;;
    esac
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
start)
  for bin in /usr/sbin/vsftpd /usr/sbin/sshd /usr/bin/openssl /usr/bin/ss; do
    [ -x "$bin" ] || { log "missing $bin: apt-get install vsftpd openssh-server openssl iproute2"; exit 1; }
  done
  mkdir -p "$STATE/empty"
  chmod 755 "$STATE" "$STATE/empty"
  if running_ours; then
    log "already running: vsftpd on $FTP_PORT and $FTPS_IMPLICIT_PORT, sshd on $SFTP_PORT"
    exit 0
  fi
  stop_all
  echo "$TEST_USER" >"$STATE/vsftpd.users"
  ensure_user
  ensure_cert
  FTP_PORT=$(free_port)
  FTPS_IMPLICIT_PORT=$(free_port)
  SFTP_PORT=$(free_port)
  pasv=$(free_range 100)
  start_vsftpd "$FTP_PORT" NO "$pasv" "$((pasv + 49))"
  start_vsftpd "$FTPS_IMPLICIT_PORT" YES "$((pasv + 50))" "$((pasv + 99))"
  start_sshd
  printf 'FTP_PORT=%s\nFTPS_IMPLICIT_PORT=%s\nSFTP_PORT=%s\n' \
    "$FTP_PORT" "$FTPS_IMPLICIT_PORT" "$SFTP_PORT" >"$PORTS_FILE"
  write_env
  ;;
stop)
  stop_all
  log "stopped"
  ;;
*)
  echo "Uso: $0 start|stop" >&2
  exit 2
  ;;
esac
