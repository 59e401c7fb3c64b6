// drawcheck.c(run): the check plot of a run's histograms, check<run>.png, three pads: evt vs ets1;
// nhit_TQ_total_mdc vs (ets1-ets2_pre)/2000 for 0-60 ms (the physicist looks at this one); run vs evt for
// etot_all_emc > 200000. On the simulated site the root stand-in draws it (site/programs/root.sh).
void drawcheck(int run)
{
  TFile *f = new TFile(Form("hist%d.root", run));
  TTree *t = (TTree *)f->Get("hist");
  TCanvas *c = new TCanvas("c", "c", 1500, 500);
  c->Divide(3, 1);
  c->cd(1); t->Draw("evt:ets1", "", "colz");
  c->cd(2); t->Draw("nhit_TQ_total_mdc:(ets1-ets2_pre)/2000", "(ets1-ets2_pre)/2000 < 60", "colz");
  c->cd(3); t->Draw("run:evt", "etot_all_emc > 200000", "colz");
  c->SaveAs(Form("check%d.png", run));
}
