#!/bin/bash
# jobsys on one EC2 instance (Amazon Linux 2023): the api and the worker under Docker Compose.
# `make deploy-ec2` renders this template (ops/ec2/user-data.ts) and cloud-init runs it once, as
# root, at the instance's first boot; its output is in /var/log/cloud-init-output.log and in
# `aws ec2 get-console-output`. Any change to the rendered script gives the instance a new config
# hash and so a replacement instance: this script installs, it never has to upgrade.
set -Eeuo pipefail
umask 027

readonly REGION='{{region}}'
readonly REGISTRY='{{registry}}'
# The api's key hashes, `<name>:<version>`: read at boot, never carried in this script, which any
# container on the instance can read through IMDS.
readonly API_KEY_HASHES_PARAMETER='{{apiKeyHashesParameter}}'
readonly APP_DIR=/opt/jobsys
# Amazon Linux 2023 packages docker but not the compose plugin (amazon-linux-2023 issue #186):
# a pinned release, checked against its published SHA-256 before it ever runs as root.
readonly COMPOSE_VERSION=v2.39.2
readonly COMPOSE_SHA256=a55a8cd4ef103aac282812554e531aac8df7e914a287ee81e14d695556a22902

step() { echo "== jobsys user data: $*"; }
# A half-installed instance must not pass for a deployed one: the next `make deploy-ec2` would find
# it running with the current config hash and call it unchanged. So it stops itself (after a
# while, for an SSH look: `sudo shutdown -c` cancels), and deploy-ec2 replaces a stopped instance.
failed() {
  echo "== jobsys user data: FAILED at line $1; this instance stops in 10 minutes" >&2
  shutdown -h +10 'jobsys user data failed: see /var/log/cloud-init-output.log'
}
trap 'failed $LINENO' ERR
# The registry token docker login stores lives only as long as this script.
DOCKER_CONFIG=$(mktemp -d)
export DOCKER_CONFIG
trap 'rm -rf "$DOCKER_CONFIG"' EXIT

step "installing docker"
dnf install -y docker
systemctl enable --now docker

step "installing the compose plugin $COMPOSE_VERSION"
download=$(mktemp)
curl --fail --silent --show-error --location --retry 5 --retry-connrefused -o "$download" \
  "https://github.com/docker/compose/releases/download/$COMPOSE_VERSION/docker-compose-linux-x86_64"
echo "$COMPOSE_SHA256  $download" | sha256sum --check --strict
install -D -m 0755 "$download" /usr/local/lib/docker/cli-plugins/docker-compose
rm -f "$download"
docker compose version

step "writing $APP_DIR"
install -d -m 0750 "$APP_DIR"
cd "$APP_DIR"
cat > docker-compose.yml <<'EOF_JOBSYS'
{{docker-compose.yml}}
EOF_JOBSYS
cat > docker-compose.awslogs.yml <<'EOF_JOBSYS'
{{docker-compose.awslogs.yml}}
EOF_JOBSYS
cat > .env <<'EOF_JOBSYS'
{{.env}}
EOF_JOBSYS
cat > jobsys.env <<'EOF_JOBSYS'
{{jobsys.env}}
EOF_JOBSYS

step "reading the api's key hashes from SSM"
# With the instance role (ssm:GetParameter on this one parameter); the value is never echoed.
api_key_hashes=$(aws ssm get-parameter --region "$REGION" --name "$API_KEY_HASHES_PARAMETER" \
  --with-decryption --query Parameter.Value --output text)
printf 'API_KEY_HASHES=%s\n' "$api_key_hashes" >> jobsys.env
unset api_key_hashes

step "pulling the images from $REGISTRY"
# The instance role may pull this stack's two repositories and nothing else.
aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
docker compose pull

step "starting the api and the worker"
# .env's COMPOSE_FILE adds docker-compose.awslogs.yml here and to every later `docker compose`
# command run in $APP_DIR, so the logs always go to CloudWatch.
docker compose up -d --wait --wait-timeout 300
docker compose ps
step "done"
