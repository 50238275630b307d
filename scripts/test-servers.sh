#!/usr/bin/env bash
# Starts (or stops) the system file servers the full test suite talks to:
#   - Debian vsftpd with explicit TLS (and a second instance with implicit TLS),
#     require_ssl_reuse=YES, passive ports on loopback;
#   - Debian OpenSSH serving SFTP with password authentication.
# Each runs as its own instance with its own config, key and pid file under
# $STATE; the system's /etc/vsftpd.conf and /etc/ssh/sshd_config are never
# touched. Idempotent: "start" with the servers already up is fine.
# Connection details are written to $ENV_FILE, which the tests read.
# Must run as root (creates the test user, sshd and vsftpd need root).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
STATE="${REMESSA_TEST_SERVERS_DIR:-/tmp/remessa-test-servers}"
ENV_FILE="${REMESSA_TEST_SERVERS_ENV:-/tmp/remessa-test-servers.env}"
TEST_USER=remessa-ftp
# A throwaway password for a throwaway local account that only loopback servers accept.
TEST_PASSWORD='Senha-de-teste-123'
FTP_PORT=2221
FTPS_IMPLICIT_PORT=2990
SFTP_PORT=2222
HOME_DIR="$STATE/home"

log() { printf 'test-servers: %s\n' "$*" >&2; }

is_listening() { ss -ltn "sport = :$1" | grep -q LISTEN; }

wait_listening() {
  for _ in $(seq 1 50); do
    is_listening "$1" && return 0
    sleep 0.1
  done
  log "nothing listens on port $1; see the logs in $STATE"
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
  if is_listening "$port"; then
    log "vsftpd already listening on $port"
    return 0
  fi
  render "$here/test-servers/vsftpd.conf.template" "$port" "$2" "$3" "$4" >"$conf"
  setsid /usr/sbin/vsftpd "$conf" </dev/null >>"$STATE/vsftpd-$port.out" 2>&1 &
  echo $! >"$pidfile"
  wait_listening "$port"
  log "vsftpd on 127.0.0.1:$port (implicit TLS: $2)"
}

start_sshd() {
  if is_listening "$SFTP_PORT"; then
    log "sshd already listening on $SFTP_PORT"
    return 0
  fi
  mkdir -p "$STATE/ssh" /run/sshd
  chmod 700 "$STATE/ssh"
  [ -s "$STATE/ssh/host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -f "$STATE/ssh/host_ed25519_key"
  render "$here/test-servers/sshd_config.template" "$SFTP_PORT" NO 0 0 >"$STATE/sshd_config"
  /usr/sbin/sshd -t -f "$STATE/sshd_config"
  /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
  wait_listening "$SFTP_PORT"
  log "sshd (SFTP) on 127.0.0.1:$SFTP_PORT"
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
    kill "$pid" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
start)
  for bin in /usr/sbin/vsftpd /usr/sbin/sshd /usr/bin/openssl; do
    [ -x "$bin" ] || { log "missing $bin: apt-get install vsftpd openssh-server openssl"; exit 1; }
  done
  mkdir -p "$STATE/empty"
  chmod 755 "$STATE" "$STATE/empty"
  echo "$TEST_USER" >"$STATE/vsftpd.users"
  ensure_user
  ensure_cert
  start_vsftpd "$FTP_PORT" NO 30000 30049
  start_vsftpd "$FTPS_IMPLICIT_PORT" YES 30050 30099
  start_sshd
  write_env
  ;;
stop)
  stop_pidfile "$STATE/vsftpd-$FTP_PORT.pid"
  stop_pidfile "$STATE/vsftpd-$FTPS_IMPLICIT_PORT.pid"
  stop_pidfile "$STATE/sshd.pid"
  rm -f "$ENV_FILE"
  log "stopped"
  ;;
*)
  echo "Uso: $0 start|stop" >&2
  exit 2
  ;;
esac
