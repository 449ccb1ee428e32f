/** The pages' one stylesheet (served at /assets/pages.css; a file of its own because the CSP refuses inline styles). */
export const PAGES_CSS = `
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:1rem}
.top{background:#1d3557;padding:.5rem 1rem}.top a{color:#fff;margin-right:1rem;font-weight:600}
a{color:#0b4f9c}h1{margin:.5rem 0 1rem}
.drop{border:2px dashed #6c757d;border-radius:8px;padding:1rem;background:#fff;display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.drop.over{border-color:#0b4f9c;background:#eef4fb}
.result{min-height:14rem;margin-top:1rem;background:#fff;border-radius:8px;padding:1rem}
.muted{color:#4a4a4a}#status{margin:1rem 0}#status:not(.muted):not(.error){font-size:1.5rem;font-weight:700}.error{color:#a4161a;font-weight:600}
.preview-box{width:100%;max-width:320px;height:200px;background:#f1f3f5;border-radius:6px}#preview{display:block;width:100%;height:100%;object-fit:contain}
.bars{list-style:none;padding:0;margin:0}.bars li{margin:.35rem 0}
.bar{height:1rem;background:#e9ecef;border-radius:4px;overflow:hidden}.bar span{display:block;height:100%;background:#1d6fb8}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0}
input,button,select{font:inherit;max-width:100%}button{padding:.3rem .8rem;cursor:pointer}
button:focus-visible,input:focus-visible,select:focus-visible,a:focus-visible{outline:3px solid #f4a261;outline-offset:2px}
.labels{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:1rem;margin-top:1rem}
.card{background:#fff;border-radius:8px;padding:.75rem;border:1px solid #dee2e6;min-width:0}
.thumbs{display:flex;flex-wrap:wrap;gap:.5rem}.thumbs figure{margin:0;width:96px}.thumbs img{width:96px;height:96px;object-fit:cover;display:block;background:#e9ecef}
.thumbs figcaption{font-size:.75rem;display:flex;flex-direction:column;gap:.15rem;overflow-wrap:anywhere}.thumbs figcaption button{font-size:.75rem;padding:.1rem .3rem}
.mistakes figure{width:128px}.mistakes img{width:128px;height:128px}
.status-line{min-height:3em}#upload-count,#train-elapsed{min-width:8em}#upload-errors:empty{display:none}
.drop p{margin:0}form.drop{display:block}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;font-size:.9rem}td,th{border-bottom:1px solid #dee2e6;padding:.25rem .5rem;text-align:left}
svg{max-width:100%;height:auto}svg.chart{width:100%;max-width:560px;display:block}svg.matrix{width:100%;max-width:360px;display:block}section{margin-bottom:2rem}
`;
