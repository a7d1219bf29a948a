// Loaded by scripts/emulators.js before s3rver starts.
// s3rver 3.7.1's FilesystemStore.listObjects prunes every directory more than one level
// below the prefix when a delimiter is given, so keys nested deeper never yield their
// common prefix (prefix "a/", keys "a/b/c/d.json": no CommonPrefixes at all, where S3
// answers "a/b/"). List without the delimiter, then roll keys up into common prefixes
// as S3 does.
'use strict'
const FilesystemStore = require('s3rver/lib/stores/filesystem')
const listObjects = FilesystemStore.prototype.listObjects
FilesystemStore.prototype.listObjects = async function (bucket, options) {
  const { delimiter = '', prefix = '', maxKeys = Infinity } = options
  if (!delimiter) return listObjects.call(this, bucket, options)
  const all = await listObjects.call(this, bucket, { ...options, delimiter: '', maxKeys: Infinity })
  const commonPrefixes = new Set()
  const objects = []
  let isTruncated = false
  for (const obj of all.objects) {
    const idx = obj.key.slice(prefix.length).indexOf(delimiter)
    if (idx !== -1) {
      commonPrefixes.add(obj.key.slice(0, prefix.length + idx + 1))
      continue
    }
    if (objects.length + commonPrefixes.size >= maxKeys) {
      isTruncated = true
      break
    }
    objects.push(obj)
  }
  return { objects, commonPrefixes: [...commonPrefixes].sort(), isTruncated }
}
