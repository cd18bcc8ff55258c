// Package hub downloads models from the Hugging Face Hub (or a mirror) into the
// standard Hugging Face cache layout and finds models for the other commands.
//
// The cache is the one huggingface_hub uses ($HF_HUB_CACHE, default
// $HF_HOME/hub, default ~/.cache/huggingface/hub):
//
//	models--org--name/
//	  blobs/<etag>                       file contents, named by LFS sha256 or git sha1
//	  blobs/<etag>.incomplete            a download in progress (a valid prefix, resumable)
//	  snapshots/<commit>/<file>          relative symlinks to ../../blobs/<etag>
//	  refs/<revision>                    the commit a branch or tag pointed to
//	.locks/models--org--name/<etag>.lock  flock(2) locks shared with huggingface_hub
//
// so models downloaded by other tools are found without a copy and ours are
// usable by them. Client.Pull downloads (resumable, verified, in parallel),
// Cache.Resolve turns what a user typed (an alias, a repo, a folder or a .gguf
// path) into something to load, and Cache.List and Cache.Remove manage the
// cache.
package hub
