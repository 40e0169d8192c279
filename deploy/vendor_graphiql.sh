#!/usr/bin/env bash
# Refresh the GraphiQL IDE's browser files in src/cardgraph/graphql/ide_assets/ (`make graphiql`).
#
# `cardgraph dev` serves the IDE from the package itself, so it works offline and its page
# loads nothing from another origin. The files are the published UMD builds, taken from the
# npm registry with `npm pack` (no install, no build step); change the versions below and run
# this script to move to newer ones, then look at the IDE in a browser and commit the result.
set -euo pipefail

GRAPHIQL=3.8.3
EXPLORER=1.0.2
REACT=18.3.1  # the last React with UMD builds, which GraphiQL 3's UMD build expects

here="$(cd "$(dirname "$0")/.." && pwd)"
target="$here/src/cardgraph/graphql/ide_assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "graphiql@$GRAPHIQL" "@graphiql/plugin-explorer@$EXPLORER" \
    "react@$REACT" "react-dom@$REACT" >/dev/null
for tarball in *.tgz; do
    mkdir "${tarball%.tgz}"
    tar -xzf "$tarball" -C "${tarball%.tgz}"
done

mkdir -p "$target"
cp "react-$REACT/package/umd/react.production.min.js" "$target/react.production.min.js"
cp "react-dom-$REACT/package/umd/react-dom.production.min.js" "$target/react-dom.production.min.js"
cp "graphiql-$GRAPHIQL/package/graphiql.min.js" "$target/graphiql.min.js"
cp "graphiql-$GRAPHIQL/package/graphiql.min.css" "$target/graphiql.min.css"
cp "graphiql-plugin-explorer-$EXPLORER/package/dist/index.umd.js" "$target/plugin-explorer.umd.js"
cp "graphiql-plugin-explorer-$EXPLORER/package/dist/style.css" "$target/plugin-explorer.css"

# Their source maps are not shipped: drop the comments that would make a browser ask for them.
sed -i -E '\@^/[/*]# sourceMappingURL=@d' "$target"/*.js "$target"/*.css

# Their licences (all MIT). The explorer's package ships none of its own: it comes from the
# GraphiQL repository, whose LICENSE covers it.
{
    echo "Third-party files in this folder, as published on the npm registry, and their licences."
    echo
    echo "react.production.min.js: react $REACT (MIT)"
    echo "react-dom.production.min.js: react-dom $REACT (MIT)"
    echo "graphiql.min.js, graphiql.min.css: graphiql $GRAPHIQL (MIT)"
    echo "plugin-explorer.umd.js, plugin-explorer.css: @graphiql/plugin-explorer $EXPLORER (MIT,"
    echo "  from the GraphiQL repository; its package carries no licence file of its own)"
    echo
    echo "==== react $REACT, react-dom $REACT ===="
    cat "react-$REACT/package/LICENSE"
    echo
    echo "==== graphiql $GRAPHIQL, @graphiql/plugin-explorer $EXPLORER ===="
    cat "graphiql-$GRAPHIQL/package/LICENSE"
} >"$target/THIRD_PARTY_LICENSES.txt"

# Sanity: react and react-dom share one licence; a change would need a second section above.
cmp -s "react-$REACT/package/LICENSE" "react-dom-$REACT/package/LICENSE" \
    || echo "warning: react-dom's LICENSE differs from react's; add it to THIRD_PARTY_LICENSES.txt" >&2

du -ch "$target"/*.js "$target"/*.css | tail -1 | sed 's/total/of IDE files in the package/'
