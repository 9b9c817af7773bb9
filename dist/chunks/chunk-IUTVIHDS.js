const require=process.getBuiltinModule("node:module").createRequire(import.meta.url);
import{b as o}from"./chunk-CM7AQJEF.js";var r=o((s,e)=>{e.exports=process.getBuiltinModule("node:buffer")});export{r as a};
