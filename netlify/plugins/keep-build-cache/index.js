// Keeps the catalogue's build cache and its last output between Netlify deploys, so that a deploy preview
// of a pull request makes only what the pull request changed (see docs/hosting in the README).
// Netlify's own cache utilities (utils.cache) copy the folders into the cache Netlify keeps for the site.
const os = require('os')
const path = require('path')

// What `catalogue build` reuses: the content-addressed cache beside the content, the key that signs it
// (in the user's cache folder) and the last output, whose unchanged files are linked into the next one.
function folders (env = process.env) {
  const userCache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return ['.catalogue-cache', 'output', path.join(userCache, 'microcredentials-catalogue')]
}

module.exports = {
  folders,
  async onPreBuild ({ utils }) {
    const restored = []
    for (const folder of folders()) {
      if (await utils.cache.restore(folder)) restored.push(folder)
    }
    console.log(restored.length ? `Build cache restored: ${restored.join(', ')}` : 'No build cache yet: a full build')
  },
  async onPostBuild ({ utils }) {
    for (const folder of folders()) await utils.cache.save(folder)
    console.log('Build cache saved for the next deploy')
  }
}
