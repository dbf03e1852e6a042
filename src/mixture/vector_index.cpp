#include "autoscale/mixture/vector_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/index_io.h>

#include <cmath>

#include "autoscale/core/atomic_file.h"
#include "autoscale/core/error.h"

namespace autoscale::mixture {

void IndexParams::visit(ConfigVisitor& v) {
  v.field("kind", kind, "index type; auto picks by pool size", Choices{"auto", "flat", "ivf", "hnsw"});
  v.field("flat_max", flat_max, "auto: exact (flat) search up to this many vectors", at_least(1));
  v.field("large_kind", large_kind, "auto: approximate index beyond flat_max", Choices{"ivf", "hnsw"});
  v.field("ivf_lists", ivf_lists, "IVF inverted lists; 0 = 4 sqrt(n)", at_least(0));
  v.field("ivf_probe", ivf_probe, "IVF lists probed per query", at_least(1));
  v.field("hnsw_m", hnsw_m, "HNSW neighbours per node", at_least(4));
  v.field("hnsw_ef_search", hnsw_ef_search, "HNSW search breadth", at_least(1));
}

VectorIndex::VectorIndex() = default;
VectorIndex::~VectorIndex() = default;
VectorIndex::VectorIndex(VectorIndex&&) noexcept = default;
VectorIndex& VectorIndex::operator=(VectorIndex&&) noexcept = default;

namespace {
std::string kind_of(const faiss::Index* index) {
  if (dynamic_cast<const faiss::IndexHNSW*>(index)) return "hnsw";
  if (dynamic_cast<const faiss::IndexIVF*>(index)) return "ivf";
  return "flat";
}
}  // namespace

VectorIndex VectorIndex::build(const std::vector<float>& x, int dim, const IndexParams& p) {
  AUTOSCALE_CHECK(dim > 0 && !x.empty() && x.size() % dim == 0, "index: {} values are not rows of {}", x.size(), dim);
  const auto n = static_cast<int64_t>(x.size() / dim);
  std::string kind = p.kind == "auto" ? (n <= p.flat_max ? "flat" : p.large_kind) : p.kind;
  VectorIndex out;
  if (kind == "flat") {
    out.index_ = std::make_unique<faiss::IndexFlatIP>(dim);
  } else if (kind == "hnsw") {
    auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, static_cast<int>(p.hnsw_m), faiss::METRIC_INNER_PRODUCT);
    hnsw->hnsw.efSearch = static_cast<int>(p.hnsw_ef_search);
    out.index_ = std::move(hnsw);
  } else {
    const int64_t lists = p.ivf_lists > 0 ? p.ivf_lists : std::max<int64_t>(1, static_cast<int64_t>(4 * std::sqrt(double(n))));
    AUTOSCALE_CHECK(lists <= n, "index: {} IVF lists for {} vectors", lists, n);
    auto quantizer = new faiss::IndexFlatIP(dim);
    auto ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer, dim, lists, faiss::METRIC_INNER_PRODUCT);
    ivf->own_fields = true;  // the IVF index deletes its quantizer
    ivf->nprobe = static_cast<size_t>(p.ivf_probe);
    ivf->cp.seed = 1234;     // FAISS's own default, stated so training is reproducible
    ivf->train(n, x.data());
    out.index_ = std::move(ivf);
  }
  out.index_->add(n, x.data());
  out.kind_ = kind;
  return out;
}

void VectorIndex::save(const std::string& path) const {
  AUTOSCALE_CHECK(index_ != nullptr, "index: nothing to save");
  AtomicFile file(path);
  try {
    faiss::write_index(index_.get(), file.temp_path().c_str());
  } catch (const std::exception& e) {
    AUTOSCALE_THROW("cannot write index {}: {}", quote(path), e.what());
  }
  file.commit();
}

VectorIndex VectorIndex::load(const std::string& path) {
  VectorIndex out;
  try {
    out.index_.reset(faiss::read_index(path.c_str()));
  } catch (const std::exception& e) {
    AUTOSCALE_THROW("cannot read index {}: not a FAISS index or damaged ({})", quote(path), e.what());
  }
  out.kind_ = kind_of(out.index_.get());
  return out;
}

void VectorIndex::search(const std::vector<float>& q, int k, std::vector<int64_t>* ids, std::vector<float>* scores) const {
  AUTOSCALE_CHECK(index_ != nullptr && k > 0, "index: empty index or k = {}", k);
  AUTOSCALE_CHECK(q.size() % index_->d == 0, "index: queries of {} values are not rows of {}", q.size(), index_->d);
  const auto nq = static_cast<int64_t>(q.size() / index_->d);
  ids->assign(static_cast<size_t>(nq * k), -1);
  scores->assign(static_cast<size_t>(nq * k), 0.0f);
  if (nq > 0) index_->search(nq, q.data(), k, scores->data(), ids->data());
}

std::string VectorIndex::kind() const { return kind_; }
int64_t VectorIndex::size() const { return index_ ? index_->ntotal : 0; }
int VectorIndex::dim() const { return index_ ? index_->d : 0; }

}  // namespace autoscale::mixture
