#!/usr/bin/env bash
# What `make up-local` (k3d) and `make up-live` (the cluster dev/kubernetes/live builds) do once
# their cluster exists, the same for both: import the images `make build` made (no registry), install
# the chart with the dev values, wait for every pod, check the api answers through its Service,
# and print, last, the URL it answers on from this host.
#
# CLUSTER=k3d|live says how images reach the cluster's containerd (import-images.sh); the rest is
# the same, against the cluster KUBECONFIG names.
set -euo pipefail
: "${CLUSTER:?CLUSTER=k3d or live}"
: "${HELM:?HELM: the pinned helm}"
: "${IMAGE_TAG:?}" "${NAMESPACE:?}" "${NODE_PORT:?NODE_PORT: where the api Service answers on 127.0.0.1}"
: "${IMAGES:?IMAGES: the images make build made}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
started=$SECONDS
elapsed() { echo "($((SECONDS - started)) s)"; }

images=()
for image in $IMAGES; do images+=("$image:$IMAGE_TAG"); done

echo "== importing ${images[*]} into the $CLUSTER cluster"
"$here/import-images.sh" "${images[@]}"
echo "   $(elapsed)"

echo "== helm upgrade --install jobsys (dev values) in namespace $NAMESPACE"
"$HELM" upgrade --install jobsys "$root/charts/jobsys" --namespace "$NAMESPACE" --create-namespace \
  -f "$root/charts/jobsys/examples/dev.yaml" --set image.registry= --set "image.tag=$IMAGE_TAG" \
  --set api.service.type=NodePort --set "api.service.nodePort=$NODE_PORT" \
  --wait --timeout 5m >/dev/null
echo "   every pod Ready $(elapsed)"

url=http://127.0.0.1:$NODE_PORT
echo "== GET $url/healthz"
curl -fsS --retry 10 --retry-delay 1 --retry-all-errors --max-time 5 "$url/healthz" >/dev/null
echo "   200 $(elapsed). Try:"
echo "   curl -si -X POST $url/jobs -H 'content-type: application/json' -d '{\"type\":\"transform\",\"payload\":{\"text\":\"hello\"}}'"
echo "JOBSYS_URL=$url"
